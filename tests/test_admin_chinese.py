"""Every admin page a role can reach speaks Chinese: a walk of the admin per role that fails
on English left in labels, buttons, filters, choices, help texts, placeholders and titles
(Django's, DRF's and django-filter's included)."""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import reverse

from bulletins import comments, workflow
from bulletins.models import Entity

pytestmark = pytest.mark.django_db

# Latin words that are names or formats, not untranslated interface text.
ALLOWED = {
    "api",
    "html",
    "markdown",
    "csv",
    "json",
    "url",
    "urls",
    "jpeg",
    "png",
    "webp",
    "gif",
    "utf",
    "http",
    "https",
    "pdf",
    "ipo",
    "pre",
    "nmpa",
    "fda",
    "ema",
    "www",
    "com",
    "id",
    "slug",
    "asia",
    "shanghai",
    "django",
    "rss",
    "atom",
    "txt",
    "isbn",
    "ssl",
    "word",
    "plc",
    "heng-rui-yi-yao",
    "upadacitinib",  # Word (the program) and examples
    "pre-a",
    "pre-b",
    "pre-ipo",  # financing rounds are named so in Chinese too
    "esc",
    "ctrl",  # keys, in keyboard help
    "webhook",  # the word, as the partners' developers say it
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’_-]{2,}")
# Not interface text: {name}{year} (the dateline pattern's syntax), URLs in examples, protocol
# identifiers (webhook events such as issue.published, the X-Newsroom-Signature header).
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|https?://\S+|\b[a-z]+(?:\.[a-z_]+)+\b|\bX-[A-Za-z-]+")
ACRONYM = re.compile(r"^[A-Z0-9+-]+$")  # GSK, NMPA, ADC: names, not interface text
SKIP_TAGS = {"script", "style", "code", "pre", "textarea"}
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
SKIP_PATHS = ("/logout/", "/export/", "/preview/", "/jsi18n/", "/act/", "/autocomplete/")


class Texts(HTMLParser):
    """Visible text and the attributes a user reads, and the admin links of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.texts: list[str] = []
        self.links: list[str] = []
        self.in_option = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIP_TAGS:
            self.skip += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def english_in(html: str, data_words: set[str]) -> tuple[list[str], list[str]]:
    parser = Texts()
    parser.feed(html)
    found = []
    for text in parser.texts:
        text = PLACEHOLDER.sub("", text)
        words = [
            w for w in LATIN_WORD.findall(text) if w.lower() not in ALLOWED and not ACRONYM.match(w)
        ]
        words = [w for w in words if w.lower() not in data_words]
        if words:
            found.append(text[:120])
    return found, parser.links


@pytest.fixture
def newsroom(published_bulletin, editor, reviewer, chief, company_news):
    """Something on every page: a published issue with a correction and a withdrawal, a
    draft issue in review with a sent-back item and a comment, an entity."""
    import datetime as dt

    item = published_bulletin.items.first()
    workflow.correct(published_bulletin, by=chief, note="金额有误。", item=item, body="新的正文。")
    draft = workflow.create_bulletin(issued_on=dt.date(2026, 3, 18), by=editor)
    one = workflow.add_item(draft, by=editor, section=company_news, body="某公司宣布融资。")
    workflow.add_item(draft, by=editor, section=company_news, body="另一公司宣布合作。")
    workflow.submit_bulletin(draft, by=editor)
    workflow.request_changes(one, by=reviewer, comment="请补充来源。")
    comments.add_comment(one, by=reviewer, body="@editor1 请看一下。")
    Entity.objects.create(name="恒瑞医药", slug="hengrui", type="company")
    return draft


def walk(client, limit=120):
    """Every admin page reachable by links from the index (one of each kind of URL)."""
    seen_kinds, queue, pages = set(), [reverse("admin:index")], {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        # one page per kind: ids and query strings (filters, facets) do not make a new kind,
        # except that a changelist is also read with one filter applied
        keys = tuple(sorted(q.split("=")[0] for q in urlsplit(url).query.split("&") if q))
        kind = (re.sub(r"/\d+/", "/N/", path), bool(keys))
        if kind in seen_kinds or any(s in path for s in SKIP_PATHS):
            continue
        seen_kinds.add(kind)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages[url] = response.content.decode()
        found, links = english_in(pages[url], set())
        for link in links:
            link = urldefrag(link)[0]
            if link.startswith("?"):
                link = path + link
            if link.startswith("/admin/"):
                queue.append(link)
    return pages


DATA_WORDS = {"editor1", "reviewer1", "chief1", "hengrui", "company-news", "industry-news"}


@pytest.mark.parametrize("role", ["editor", "reviewer", "chief"])
def test_no_english_on_any_admin_page_a_role_reaches(client, newsroom, request, role):
    client.force_login(request.getfixturevalue(role))
    pages = walk(client)
    assert len(pages) > 10
    english = {}
    for url, html in pages.items():
        for text in english_in(html, DATA_WORDS)[0]:
            english.setdefault(text, url)  # each English text once, with a page it is on
    assert english == {}, "\n".join(f"{url}: {text}" for text, url in sorted(english.items()))
