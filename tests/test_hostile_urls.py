"""No 500 on any malformed parameter: every URL pattern, filled with hostile values, as an
anonymous reader and as the chief editor, on whichever database the suite runs on."""

import re

import pytest
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .site_data import make_entity, make_issue

pytestmark = pytest.mark.django_db

HOSTILE = [
    "abc",
    "0",
    "-1",
    "99999999999999999999",
    "%00",
    "a%00b",
    "%E2%80%AE",
    "'%22%3E%3Cx%3E",
    "1e9",
    "x" * 300,
]
QUERY_NAMES = ["page", "q", "section", "type", "from", "to", "cursor", "page_size", "format"]
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def routes():
    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    for route in walk(get_resolver().url_patterns, ""):
        route = route.replace("^", "").replace("$", "")
        if "(?P<url>" in route or route.startswith("media/"):
            continue  # the admin's catch-all and DEBUG-only media serving
        yield route


def fill(route: str, value: str) -> str:
    return "/" + PARAM.sub(value, route)


@pytest.fixture
def archive(db):
    entity = make_entity("恒瑞医药", "hengrui")
    make_issue(__import__("datetime").date(2026, 3, 17), 3, entities=[entity])


@pytest.fixture
def chief_client(client, chief):
    client.force_login(chief)
    return client


def server_errors(client, urls, method="get"):
    """The URLs that answer 5xx (or raise), so one run names them all."""
    failed = []
    for url in urls:
        try:
            status = getattr(client, method)(url).status_code
        except Exception as error:  # noqa: BLE001 - a raised exception is a 500 to the reader
            status = f"{type(error).__name__}: {error}"[:120]
        if not isinstance(status, int) or status >= 500:
            failed.append(f"{method.upper()} {url} → {status}")
    return failed


@pytest.mark.parametrize("who", ["anonymous", "chief"])
def test_every_url_pattern_with_hostile_path_values_answers_without_a_500(
    client, chief, archive, who
):
    if who == "chief":
        client.force_login(chief)
    urls = sorted({fill(route, value) for route in routes() for value in HOSTILE})
    assert len(urls) > 500
    posts = [url for url in urls if "/act/" in url or url.endswith("/merge/")]
    failed = server_errors(client, urls) + server_errors(client, posts, "post")
    assert failed == []


@pytest.mark.parametrize("who", ["anonymous", "chief"])
def test_every_page_with_hostile_query_values_answers_without_a_500(client, chief, archive, who):
    if who == "chief":
        client.force_login(chief)
    pages = {fill(route, "2026") for route in routes() if "<" not in route and "(?P" not in route}
    pages |= {"/2026/03/17/", "/entities/hengrui/", "/sections/company-news/", "/search/"}
    urls = [
        f"{page}?q=a&" + "&".join(f"{name}={value}" for name in QUERY_NAMES)
        for page in sorted(pages)
        for value in HOSTILE
    ]
    assert server_errors(client, urls) == []


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=st.text(min_size=1, max_size=40))
def test_search_and_entity_pages_take_any_text(client, archive, value):
    from urllib.parse import quote

    urls = [
        f"/search/?q={quote(value)}&page={quote(value)}",
        f"/entities/{quote(value, safe='')}/",
        f"/api/v1/items/?q={quote(value)}&entity={quote(value)}",
        f"/api/v1/entities/?prefix={quote(value)}",
    ]
    assert server_errors(client, urls) == []


def test_a_nul_byte_in_an_api_query_is_a_400_in_the_api_error_shape(client):
    response = client.get("/api/v1/sections/?q=a%00b")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid"
    page = client.get("/search/?q=a%00b")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/plain")
