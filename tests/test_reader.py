"""What readers see of an issue: chips, first-mention links, no invented titles, today at a
glance with its kind filter, the corrected marker, share images, compressed pages."""

import datetime as dt
import gzip
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from bulletins import compression, share
from bulletins.models import (
    Bulletin,
    BulletinStatus,
    Correction,
    Item,
    ItemEntity,
    ItemStatus,
)

from .site_data import make_entity, make_facts_issue

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 17)


def make(day=DAY, rows=(), *, status=BulletinStatus.PUBLISHED):
    """An issue of (event_kind, body, headline, facts) items, tracker rows indexed."""
    return make_facts_issue(
        day,
        [
            {
                "event_kind": kind,
                "financing_round": "B" if kind == "financing" else "",
                "body": body,
                "headline": headline,
                "facts": facts,
            }
            for kind, body, headline, facts in rows
        ],
        status=status,
    )


CNY = {"amount": 300_000_000, "currency": "CNY", "approximate": True, "text": "近3亿元人民币"}
ROWS = [
    (
        "financing",
        "罗氏宣布完成近3亿元人民币B轮融资,罗氏表示资金将用于研发。",
        "罗氏完成B轮融资",
        {"amount": CNY, "lead_investors": ["高瓴创投"]},
    ),
    (
        "approval",
        "国家药监局批准某某片上市。",
        "",
        {"regulator": "国家药品监督管理局", "decision": "acceptance"},
    ),
    ("personnel", "某公司任命新首席执行官。", "", {}),
]


@pytest.fixture
def roche(db):
    return make_entity("罗氏", "roche")


@pytest.fixture
def day(roche):
    bulletin, items = make(rows=ROWS)
    ItemEntity.objects.create(item=items[0], entity=roche)
    return bulletin, items


def main(html):
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def test_items_carry_an_event_kind_chip_and_fact_chips(client, day):
    html = client.get(day[0].get_absolute_url()).content.decode()
    assert '<span class="chip kind-financing">融资</span>' in html
    assert '<span class="fact-label">金额</span> 近3亿元人民币' in html
    assert '<span class="fact-label">轮次</span> B' in html
    assert '<span class="fact-label">领投</span> 高瓴创投' in html
    # an approval whose facts say "accepted" reads 受理, not 获批
    assert '<span class="chip kind-approval">受理</span>' in html


def test_an_entity_is_linked_at_its_first_mention_only(client, day):
    html = main(client.get(day[0].get_absolute_url()).content.decode())
    item_html = html.split(f'id="item-{day[1][0].pk}"', 1)[1].split("</article>", 1)[0]
    assert item_html.count('href="/entities/roche/"') == 1
    assert item_html.count("罗氏") == 3  # headline + two mentions in the text, one linked


def test_an_item_without_headline_shows_its_text_once(client, day):
    item = day[1][2]
    html = main(client.get(item.get_absolute_url()).content.decode())
    assert html.count("某公司任命新首席执行官") == 1
    assert re.search(r"<h1[^>]*>某公司任命新首席执行官。</h1>", html)
    assert "…" not in html
    listed = main(client.get(reverse("bulletins:search"), {"q": "首席执行官"}).content.decode())
    assert listed.count("某公司任命新") == 1 and "<mark>首席执行官</mark>" in listed


def test_today_at_a_glance_counts_kinds_and_totals_financing(client, day):
    html = client.get(day[0].get_absolute_url()).content.decode()
    glance = html.split('class="glance"', 1)[1].split("</section>", 1)[0]
    assert "?kind=financing#items" in glance and "融资 <b>1</b>" in glance
    assert "约3亿元" in glance  # approximate in the text: marked
    assert "国家药品监督管理局 1 项" in glance


def test_the_kind_filter_shows_only_that_kind_without_script(client, day):
    response = client.get(day[0].get_absolute_url(), {"kind": "financing"})
    html = main(response.content.decode())
    assert f'id="item-{day[1][0].pk}"' in html
    assert f'id="item-{day[1][1].pk}"' not in html and f'id="item-{day[1][2].pk}"' not in html
    assert "显示全部 3 条" in html
    assert client.get(day[0].get_absolute_url(), {"kind": "nonsense"}).status_code == 404


def test_a_corrected_item_is_marked(client, day):
    Correction.objects.create(bulletin=day[0], item=day[1][1], note="更正了药品名称。")
    html = client.get(day[0].get_absolute_url()).content.decode()
    marked = html.split(f'id="item-{day[1][1].pk}"', 1)[1].split("</article>", 1)[0]
    assert "已更正" in marked
    assert "已更正" in client.get(day[1][1].get_absolute_url()).content.decode()


def test_pages_carry_share_cards_with_a_generated_image(client, day):
    html = client.get(day[1][0].get_absolute_url()).content.decode()
    image = re.search(r'<meta property="og:image" content="([^"]+)"', html).group(1)
    assert 'name="twitter:card" content="summary_large_image"' in html
    assert 'itemprop="image"' in html
    response = client.get(image.replace("http://testserver", ""))
    png = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (png.format, png.size) == ("PNG", (1200, 630))


def test_a_share_image_is_drawn_once_and_again_when_the_text_changes(
    client, day, monkeypatch, tmp_path, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    drawn = []
    real = share.render
    monkeypatch.setattr(share, "render", lambda **parts: drawn.append(parts) or real(**parts))
    item = day[1][0]
    url = reverse("bulletins:item_image", kwargs={"pk": item.pk})
    client.get(url)
    client.get(url)
    assert len(drawn) == 1
    Item.objects.filter(pk=item.pk).update(headline="罗氏完成C轮融资")
    client.get(url)
    assert len(drawn) == 2 and drawn[1]["title"] == "罗氏完成C轮融资"
    assert len(list((tmp_path / "share" / "items" / str(item.pk)).iterdir())) == 1


def test_no_share_image_for_anything_unpublished(client, roche):
    draft, (item,) = make(DAY + dt.timedelta(days=1), ROWS[:1], status=BulletinStatus.DRAFT)
    assert client.get(reverse("bulletins:item_image", kwargs={"pk": item.pk})).status_code == 404
    url = reverse("bulletins:issue_image", kwargs={"year": 2026, "month": 3, "day": 18})
    assert client.get(url).status_code == 404
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.SUBMITTED)
    Bulletin.objects.filter(pk=draft.pk).update(
        status=BulletinStatus.PUBLISHED, publish_at=timezone.now()
    )
    assert client.get(reverse("bulletins:item_image", kwargs={"pk": item.pk})).status_code == 404


def test_pages_are_gzipped_and_a_body_is_compressed_once(client, day):
    compression.BODIES.entries.clear()
    before = compression.BODIES.compressions
    for _n in range(3):
        response = client.get(day[0].get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip, br")
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
    assert compression.BODIES.compressions - before == 1
    html = gzip.decompress(response.content).decode()
    assert "今日概览" in html
    plain = client.get(day[0].get_absolute_url())
    assert not plain.has_header("Content-Encoding")


def test_an_issue_page_stays_small_compressed(client, db):
    from django.contrib.staticfiles import finders

    rows = [(ROWS[n % 3][0], ROWS[n % 3][1] * 3, "", ROWS[n % 3][3]) for n in range(30)]
    bulletin, _items = make(rows=rows)
    response = client.get(bulletin.get_absolute_url(), HTTP_ACCEPT_ENCODING="gzip")
    with (
        open(finders.find("bulletins/site.css"), "rb") as css,
        open(finders.find("bulletins/site.js"), "rb") as js,
    ):
        assets = len(gzip.compress(css.read())) + len(gzip.compress(js.read()))
    assert len(response.content) + assets < 60 * 1024
