"""The issue page's markup, pinned: it is built in Python now (``bulletins_site.articles``,
``reader.side_deal``…) rather than by a template per item, and must read as it did — each
item's article with its chips, headline, first-mention links and permalink; escaping of
hostile text; the withdrawn notice; the side column; valid JSON-LD naming every entity."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from bulletins import workflow
from bulletins.models import Correction, ItemEntity

from .site_data import make_entity, make_facts_issue

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 17)
HOSTILE = '<img src=x onerror="alert(1)">&amp;'
CNY = {"amount": 300_000_000, "currency": "CNY", "approximate": True, "text": "近3亿元人民币"}


@pytest.fixture
def issue(db):
    roche = make_entity("罗氏", "roche")
    hengrui = make_entity("恒瑞医药", "hengrui")
    bulletin, items = make_facts_issue(
        DAY,
        [
            {
                "event_kind": "financing",
                "financing_round": "B",
                "body": "罗氏宣布完成近3亿元人民币B轮融资,恒瑞医药跟投,罗氏表示资金将用于研发。",
                "headline": "罗氏完成B轮融资",
                "facts": {"amount": CNY, "lead_investors": ["高瓴创投", "红杉中国"]},
            },
            {
                "event_kind": "approval",
                "body": f"国家药监局受理某某片上市申请{HOSTILE}。",
                "headline": "",
                "facts": {"regulator": "国家药品监督管理局", "decision": "acceptance"},
            },
            {
                "event_kind": "",
                "body": "恒瑞医药任命新首席执行官。",
                "headline": f"人事{HOSTILE}",
                "facts": {},
            },
        ],
    )
    ItemEntity.objects.create(item=items[0], entity=roche)
    ItemEntity.objects.create(item=items[0], entity=hengrui)
    ItemEntity.objects.create(item=items[2], entity=hengrui)
    Correction.objects.create(bulletin=bulletin, item=items[2], note="更正人名。")
    from bulletins.readmodels import visibility_changed

    visibility_changed(bulletins=[bulletin])
    return bulletin, items


def article(html, item):
    start = html.index(f'<article class="item" id="item-{item.pk}"')
    return html[start : html.index("</article>", start) + len("</article>")]


def test_an_article_reads_chips_headline_linked_text_and_permalink(client, issue):
    bulletin, items = issue
    html = client.get(bulletin.get_absolute_url()).content.decode()
    pk = items[0].pk
    assert article(html, items[0]) == (
        f'<article class="item" id="item-{pk}" data-kind="financing" aria-labelledby="h-{pk}">\n'
        '<p class="chips"><span class="chip kind-financing">融资</span>'
        '<span class="fact"><span class="fact-label">金额</span> 近3亿元人民币</span>'
        '<span class="fact"><span class="fact-label">轮次</span> B</span>'
        '<span class="fact"><span class="fact-label">领投</span> 高瓴创投、红杉中国</span></p>\n'
        f'<h3 id="h-{pk}">罗氏完成B轮融资</h3>\n'
        '<p class="item-text"><a class="entity-mention entity-company" href="/entities/roche/">'
        "罗氏</a>宣布完成近3亿元人民币B轮融资,"
        '<a class="entity-mention entity-company" href="/entities/hengrui/">恒瑞医药</a>跟投,'
        "罗氏表示资金将用于研发。</p>\n"
        f'<p class="item-tools"><a class="permalink" href="/items/{pk}/">本条链接与分享</a></p>\n'
        "</article>"
    )


def test_hostile_text_stays_text_in_an_article_and_a_corrected_item_says_so(client, issue):
    bulletin, items = issue
    html = client.get(bulletin.get_absolute_url()).content.decode()
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;"
    approval, personnel = article(html, items[1]), article(html, items[2])
    assert f"上市申请{escaped}。" in approval and "<img" not in approval
    assert (
        'data-kind="approval">\n<p class="chips"><span class="chip kind-approval">受理</span>'
        in (approval)
    )
    assert '<span class="fact-label">监管</span> 国家药品监督管理局' in approval
    assert "aria-labelledby" not in approval and "<h3" not in approval  # no invented title
    assert personnel.startswith(
        f'<article class="item" id="item-{items[2].pk}" data-kind="" '
        f'aria-labelledby="h-{items[2].pk}">\n<p class="chips"><span class="chip corrected">'
        f'已更正</span></p>\n<h3 id="h-{items[2].pk}">人事{escaped}</h3>'
    )


def test_a_withdrawn_item_keeps_its_place_as_a_dated_notice(client, issue, chief):
    bulletin, items = issue
    workflow.withdraw_item(items[1], by=chief, note="来源有误<b>")
    items[1].refresh_from_db()
    html = client.get(bulletin.get_absolute_url()).content.decode()
    at = timezone.localtime(items[1].withdrawn_at)
    notice = (
        f'<p id="item-{items[1].pk}" class="item withdrawn notice">本条已于'
        f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M}</time>撤下。来源有误&lt;b&gt;</p>\n'
    )
    assert notice in html
    assert "上市申请" not in html


def test_the_side_column_names_deals_and_approvals(client, issue):
    bulletin, items = issue
    html = client.get(bulletin.get_absolute_url()).content.decode()
    side = html.split('<aside class="side"', 1)[1]
    assert (
        f'<li><a href="#item-{items[0].pk}">罗氏</a> <small>融资 · B轮 · 近3亿元人民币</small></li>'
        in side
    )
    assert (
        f'<li><a href="#item-{items[1].pk}">国家药品监督管理局</a> <small>受理</small></li>' in side
    )


def test_the_json_ld_is_valid_and_names_every_mentioned_entity_once(client, issue):
    bulletin, _items = issue
    html = client.get(bulletin.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block
    data = json.loads(block)
    assert data["@type"] == "NewsArticle"
    assert data["url"] == "http://testserver/2026/03/17/"
    assert data["isPartOf"]["url"] == "http://testserver/2026/03/17/"
    assert data["publisher"]["url"] == "http://testserver/"
    assert data["mentions"] == [
        {
            "@type": "Organization",
            "name": "恒瑞医药",
            "url": "http://testserver/entities/hengrui/",
            "alternateName": "Hengrui",
        },
        {
            "@type": "Organization",
            "name": "罗氏",
            "url": "http://testserver/entities/roche/",
            "alternateName": "Roche",
        },
    ]


def test_the_issue_links_the_issues_before_and_after_it(client, issue):
    bulletin, _items = issue
    make_facts_issue(DAY - dt.timedelta(days=3), [{"body": "更早的一期。"}])
    make_facts_issue(DAY + dt.timedelta(days=2), [{"body": "更晚的一期。"}])
    html = client.get(bulletin.get_absolute_url()).content.decode()
    assert '<a rel="prev" href="/2026/03/14/">← 3月14日</a>' in html
    assert '<a rel="next" href="/2026/03/19/">3月19日 →</a>' in html


# ----------------------------------------------------------------------------- the helpers


def test_issues_with_a_page_are_the_published_and_the_retracted(db):
    from bulletins.models import Bulletin, BulletinStatus

    from .site_data import make_issue

    now = timezone.now()
    for offset, status, publish_at in [
        (0, BulletinStatus.DRAFT, None),
        (1, BulletinStatus.SCHEDULED, now + dt.timedelta(hours=1)),
        (2, BulletinStatus.SCHEDULED, now - dt.timedelta(hours=1)),
        (3, BulletinStatus.PUBLISHED, None),
        (4, BulletinStatus.CORRECTED, None),
        (5, BulletinStatus.RETRACTED, None),
        (6, BulletinStatus.RETRACTED, now + dt.timedelta(hours=1)),
    ]:
        make_issue(DAY + dt.timedelta(days=offset), 1, status=status, publish_at=publish_at)
    expected = set(Bulletin.objects.published()) | set(Bulletin.objects.retracted())
    assert set(Bulletin.objects.with_page()) == expected and len(expected) == 4


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("bulletins:item_detail", {"pk": 12345}),
        ("bulletins:entity_detail", {"slug": "gen1-company-10"}),
        ("bulletins:entity_detail", {"slug": "罗氏 a?c#d"}),  # not plain: reversed
        ("bulletins:entity_detail", {"slug": "a.b~c"}),
        ("bulletins:section_detail", {"slug": "company-news"}),
    ],
)
def test_a_reverser_spells_urls_as_reverse_does(name, kwargs):
    from django.urls import reverse

    from bulletins.models import reverse_one, reverser

    ((key, value),) = kwargs.items()
    assert reverser(name, key)(value) == reverse(name, kwargs=kwargs)
    assert reverse_one(name, key, value) == reverse(name, kwargs=kwargs)


def test_light_links_name_the_entities_a_prefetch_names_in_the_same_order(issue):
    from bulletins.models import Item
    from bulletins.readmodels import attach_public_links

    _bulletin, items = issue
    light = list(Item.objects.filter(pk__in=[i.pk for i in items]).order_by("pk"))
    attach_public_links(light)
    full = list(Item.objects.filter(pk__in=[i.pk for i in items]).for_reading().order_by("pk"))

    def names(item):
        return [
            (link.entity.pk, link.entity.name, link.entity.get_absolute_url())
            for link in item.public_links
        ]

    assert [names(i) for i in light] == [names(i) for i in full]
    assert names(light[0])[0][1] == "恒瑞医药"  # by name, as the markup and JSON-LD read them
