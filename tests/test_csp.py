"""Defect 14: the admin and the API docs answered without a Content-Security-Policy. Now every
response outside the public site carries the project policy (scripts and styles from our
origin, inline ones only with the response's nonce); the docs widen only styles and workers."""

import re

import pytest

from bulletins.models import ItemStatus

from .factories import BulletinFactory, ItemFactory

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
FOREIGN = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"{response.wsgi_request.path} has no Content-Security-Policy"
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict_page(response, *, inline_styles=False):
    csp = policy(response)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    if not inline_styles:
        assert "'unsafe-inline'" not in csp["style-src"]
    nonces = [v for v in csp["script-src"] if v.startswith("'nonce-")]
    html = response.content.decode()
    for attributes in INLINE_SCRIPT.findall(html):
        if "application/json" in attributes:
            continue  # data, not code
        assert nonces and f'nonce="{nonces[0][7:-1]}"' in attributes, attributes
    assert not EVENT_HANDLER.search(html), EVENT_HANDLER.search(html).group(0)
    assert not FOREIGN.search(html)
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_admin_login_has_a_strict_policy(client):
    assert_strict_page(client.get("/admin/login/"))


@pytest.mark.django_db
def test_admin_pages_have_a_strict_policy_and_no_inline_handlers(client, chief, editor2):
    bulletin = BulletinFactory()
    ItemFactory(bulletin=bulletin, status=ItemStatus.SUBMITTED, created_by=editor2)
    client.force_login(chief)
    for url in (
        "/admin/",
        "/admin/bulletins/item/review/",
        f"/admin/bulletins/bulletin/{bulletin.pk}/change/",
        "/admin/bulletins/entity/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_page(response)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_api_docs_have_a_policy_with_a_nonce_for_their_one_script(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_strict_page(response, inline_styles=True)
    csp = policy(response)
    assert csp["connect-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
    assert "fonts.googleapis.com" not in response.content.decode()
