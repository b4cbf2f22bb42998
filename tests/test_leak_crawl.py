"""The leak crawler (issue 13, "Proof in .ci/run"): an anonymous client walks every public
surface — pages, feeds, sitemaps, the API's reads, exports, search — while the newsroom holds
work in every unpublished state, and no response may carry any unpublished text, headline,
fact, entity name, entity slug, section name or section slug. Nothing may answer 500.

Every unpublished thing is named with a marker (机密… / zz…) that appears nowhere public;
the crawl starts from the front page, the indexes, every known and guessed URL (the secret
ones too: they must be 404) and follows every same-site link it is given.
"""

import datetime as dt
import json
import re
from collections import deque
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from django.utils import timezone

from bulletins.models import (
    Bulletin,
    BulletinStatus,
    Entity,
    Item,
    ItemEntity,
    ItemStatus,
    Section,
)
from bulletins.search import index_items

from .site_data import make_entity

pytestmark = pytest.mark.django_db

MIN_URLS = 500
MAX_URLS = 1500
PUBLIC_DAY = dt.date(2026, 3, 10)
LINK_RE = re.compile(r"""(?:href|src)=["']([^"'#]+)|<loc>([^<]+)</loc>|<link>([^<]+)</link>""")
SKIP = ("/admin/", "/i18n/", "/static/", "/media/", "/preview/", "/api/v1/auth/")


def _at(day, hour=8):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class World:
    def __init__(self):
        self.secrets: list[str] = []
        self.secret_urls: list[str] = []
        self.n = 0

    def secret(self, prefix="机密"):
        self.n += 1
        marker = f"{prefix}{self.n:02d}号"
        self.secrets.append(marker)
        return marker

    def slug(self):
        self.n += 1
        slug = f"zzsecret{self.n:02d}"
        self.secrets.append(slug)
        return slug

    def secret_entity(self, *, parent=None, type="company"):
        entity = Entity.objects.create(
            type=type, name=self.secret(), slug=self.slug(), name_en=self.secret("Secret"),
            parent=parent,
        )  # fmt: skip
        self.secret_urls += [f"/entities/{entity.slug}/", f"/api/v1/entities/{entity.slug}/"]
        return entity

    def issue(self, day, status, *, publish_at=None, retracted=False):
        if status in (BulletinStatus.PUBLISHED, BulletinStatus.RETRACTED, BulletinStatus.SCHEDULED):
            publish_at = publish_at or _at(day)
        return Bulletin.objects.create(
            issued_on=day, status=status, publish_at=publish_at,
            retraction_note="本期已撤回。" if retracted else "",
            retracted_at=_at(day, 12) if retracted else None,
        )  # fmt: skip

    def item(self, bulletin, section, position, *, status, public, entities=(), confirmed=True):
        mark = (lambda prefix: prefix) if public else self.secret
        item = Item.objects.create(
            bulletin=bulletin,
            section=section,
            position=position,
            body=f"{mark('公开正文')}:某公司宣布完成B轮融资。" if public else f"{mark()}正文。",
            headline=mark("公开标题") if public else self.secret(),
            headline_rank=Item.objects.filter(bulletin=bulletin).count() + 1,
            status=status,
            event_kind="financing",
            financing_round="B",
            facts={"investors": ["公开投资方" if public else self.secret()]},
            sources=["https://example.com/" + ("public" if public else self.slug())],
        )
        for entity in entities:
            ItemEntity.objects.create(item=item, entity=entity, is_confirmed=confirmed)
        if not (public and bulletin.status == BulletinStatus.PUBLISHED):
            self.secret_urls += [f"/items/{item.pk}/", f"/api/v1/items/{item.pk}/"]
        return item


@pytest.fixture
def world(db):
    w = World()
    company = Section.objects.get(slug="company-news")
    industry = Section.objects.get(slug="industry-news")
    secret_section = Section.objects.create(name=w.secret(), slug=w.slug(), position=50)
    w.secret_urls += [f"/sections/{secret_section.slug}/", f"/sections/{secret_section.slug}/rss/"]

    roche = make_entity("罗氏", "roche")
    hengrui = make_entity("恒瑞医药", "hengrui")
    # Relations to entities that only unpublished work names: a secret child of a public
    # entity, a secret parent of a public entity, a secret co-mention of a public entity.
    secret_child = w.secret_entity(parent=roche)
    hengrui.parent = w.secret_entity()
    hengrui.save()
    co_mentioned = w.secret_entity()
    guessed = w.secret_entity()  # only an unconfirmed linker guess on a published item

    published = w.issue(PUBLIC_DAY, BulletinStatus.PUBLISHED)
    w.item(published, company, 1, status=ItemStatus.APPROVED, public=True, entities=[roche])
    w.item(published, industry, 1, status=ItemStatus.APPROVED, public=True, entities=[hengrui])
    public_item = Item.objects.filter(bulletin=published).first()
    ItemEntity.objects.create(item=public_item, entity=guessed, is_confirmed=False)
    for position, status in enumerate(
        [ItemStatus.SUBMITTED, ItemStatus.CHANGES_REQUESTED, ItemStatus.SPIKED, ItemStatus.DRAFT], 2
    ):
        w.item(published, company, position, status=status, public=False,
               entities=[w.secret_entity(), roche])  # fmt: skip

    states = [
        (BulletinStatus.DRAFT, {}),
        (BulletinStatus.IN_REVIEW, {}),
        (BulletinStatus.APPROVED, {}),
        (BulletinStatus.SCHEDULED, {"publish_at": timezone.now() + dt.timedelta(days=30)}),
        (BulletinStatus.RETRACTED, {"retracted": True}),
    ]
    for offset, (status, extra) in enumerate(states, 1):
        day = PUBLIC_DAY + dt.timedelta(days=offset)
        bulletin = w.issue(day, status, **extra)
        for position in (1, 2):
            w.item(bulletin, secret_section if position == 1 else company, position,
                   status=ItemStatus.APPROVED, public=False,
                   entities=[w.secret_entity(), roche, co_mentioned, secret_child])  # fmt: skip
        w.secret_urls += [
            f"/{day:%Y/%m/%d}/", f"/{day:%Y/%m/%d}.txt",
            f"/api/v1/bulletins/{day:%Y-%m-%d}/",
            f"/api/v1/bulletins/{day:%Y-%m-%d}/export/?format=markdown",
        ]  # fmt: skip
    index_items(Item.objects.values_list("pk", flat=True))
    return w


def seeds(world) -> list[str]:
    urls = ["/", "/archive/", "/2026/", "/2026/03/", "/entities/", "/robots.txt",
            "/sitemap.xml", "/news-sitemap.xml", "/feeds/rss/", "/feeds/atom/",
            "/api/v1/bulletins/", "/api/v1/items/", "/api/v1/entities/", "/api/v1/sections/",
            "/api/v1/items/?ordering=-issued_on", "/api/v1/entities/?type=company"]  # fmt: skip
    for day in range(1, 32):
        urls += [f"/2026/03/{day:02d}/", f"/2026/03/{day:02d}.txt",
                 f"/api/v1/bulletins/2026-03-{day:02d}/"]  # fmt: skip
        for fmt in ("text", "markdown", "html"):
            urls.append(f"/api/v1/bulletins/2026-03-{day:02d}/export/?format={fmt}")
    for pk in Item.objects.values_list("pk", flat=True):
        urls += [f"/items/{pk}/", f"/api/v1/items/{pk}/"]
    for slug in Entity.objects.values_list("slug", flat=True):
        urls += [f"/entities/{slug}/", f"/entities/{slug}/rss/", f"/entities/{slug}/atom/",
                 f"/api/v1/entities/{slug}/", f"/api/v1/entities/{slug}/items/",
                 f"/api/v1/items/?entity={slug}", f"/search/?q={slug}"]  # fmt: skip
    for slug in Section.objects.values_list("slug", flat=True):
        urls += [f"/sections/{slug}/", f"/sections/{slug}/rss/", f"/sections/{slug}/atom/",
                 f"/api/v1/items/?section={slug}", f"/search/?q=公司&section={slug}"]  # fmt: skip
    for marker in world.secrets:
        urls += [f"/search/?q={marker}", f"/api/v1/items/?q={marker}",
                 f"/api/v1/entities/?q={marker}", f"/api/v1/entities/?prefix={marker[:1]}"]  # fmt: skip
    for query in ("公司", "融资", "罗氏", "B轮", "公开正文", "Secret"):
        urls += [f"/search/?q={query}", f"/api/v1/items/?q={query}"]
    return urls + world.secret_urls


def readable(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:  # "\u673a…" escapes decoded, so a name is found however it was encoded
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def links(base: str, text: str) -> list[str]:
    found = [next(g for g in groups if g) for groups in LINK_RE.findall(text)]
    try:
        found += _json_urls(json.loads(text))
    except ValueError:
        pass
    out = []
    for url in found:
        parts = urlsplit(urljoin("http://testserver" + base, url.replace("&amp;", "&")))
        if parts.netloc == "testserver" and not parts.path.startswith(SKIP):
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _json_urls(value) -> list[str]:
    if isinstance(value, dict):
        return [u for v in value.values() for u in _json_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in _json_urls(v)]
    if isinstance(value, str) and value.startswith(("http://testserver/", "/")):
        return [value]
    return []


def test_no_unpublished_name_slug_or_text_on_any_public_url(client, world):
    queue, seen, leaks, errors = deque(seeds(world)), set(), [], []
    while queue and len(seen) < MAX_URLS:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            errors.append(f"{response.status_code} {url}")
            continue
        text = readable(response)
        for marker in world.secrets:
            # A page may echo what the client itself asked for (a search box, a 404's URL):
            # that tells the client nothing it did not know.
            if marker in text and marker not in unquote(url):
                at = text.index(marker)
                leaks.append(f"{url}: {marker} in …{text[max(0, at - 60) : at + 30]}…")
        if response.status_code == 200:
            queue.extend(u for u in links(url, text) if u not in seen)
    print(f"crawled {len(seen)} URLs, {len(world.secrets)} secret markers, {len(leaks)} leaks")
    assert not errors, errors
    assert not leaks, "\n".join(leaks[:40])
    assert len(seen) >= MIN_URLS
