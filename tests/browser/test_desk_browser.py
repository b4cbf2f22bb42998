"""The editorial desk in headless Chromium: the morning loop as three people use it."""

import datetime as dt

import pytest
from django.urls import reverse

from bulletins import workflow
from bulletins.models import BulletinStatus, Item, ItemStatus, Section, Transition

from ..factories import UserFactory
from ..test_admin_chinese import english_in
from .conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def login(page, base, username):
    page.goto(base + reverse("admin:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    with page.expect_navigation():
        page.click("input[type=submit]")


@pytest.fixture
def desk(migrated_data):
    """Three colleagues and an issue in review with two items."""
    company = Section.objects.get(slug="company-news")
    people = {
        "editor": UserFactory(username="ed", role="编辑"),
        "editor2": UserFactory(username="ed2", role="编辑"),
        "reviewer": UserFactory(username="rev", role="审核"),
        "chief": UserFactory(username="boss", role="主编"),
    }
    bulletin = workflow.create_bulletin(issued_on=dt.date(2026, 3, 17), by=people["editor"])
    one = workflow.add_item(
        bulletin, by=people["editor"], section=company, body="甲公司融资2.80亿元。"
    )
    two = workflow.add_item(bulletin, by=people["editor"], section=company, body="乙公司获批。")
    workflow.submit_bulletin(bulletin, by=people["editor"])
    return {**people, "bulletin": bulletin, "one": one, "two": two}


def test_sent_back_work_is_found_on_the_editors_desk_and_resubmitted(live_server, desk, open_page):
    workflow.request_changes(desk["one"], by=desk["reviewer"], comment="请写明币种。")
    page, watcher = open_page(DESKTOP)
    login(page, live_server.url, "ed")
    assert page.locator("#desk-link .desk-count").inner_text() == "1"
    page.click("#desk-link")
    sent_back = page.locator("#desk-sent-back")
    assert "请写明币种。" in sent_back.inner_text()
    with page.expect_navigation():
        sent_back.locator("a").first.click()
    assert "请写明币种。" in page.locator("#wf-review-comment").inner_text()
    page.fill("#id_body", "甲公司融资2.80亿元人民币。")
    assert page.locator(".wf-charcount").first.inner_text() == "15 字"
    with page.expect_navigation():
        page.click("input[name=_continue]")
    with page.expect_navigation():
        page.click("button.wf-btn-submit")
    assert page.locator("#wf-review-comment").count() == 0
    item = Item.objects.get(pk=desk["one"].pk)
    assert (item.status, item.body) == (ItemStatus.SUBMITTED, "甲公司融资2.80亿元人民币。")
    assert [e for e in watcher.errors if "page error" in e] == []


def test_conflicts_merge_or_need_an_explicit_overwrite(live_server, desk, open_page):
    item = desk["one"]
    url = live_server.url + reverse("admin:bulletins_item_change", args=[item.pk])
    mine, _w1 = open_page(DESKTOP)
    theirs, _w2 = open_page(DESKTOP)
    login(mine, live_server.url, "ed")
    login(theirs, live_server.url, "ed2")
    mine.goto(url)
    theirs.goto(url)
    # they change the headline, I change the text: merged without a word from me
    theirs.fill("#id_headline", "甲公司融资")
    with theirs.expect_navigation():
        theirs.click("input[name=_continue]")
    mine.fill("#id_body", "甲公司完成融资2.8亿元。")
    with mine.expect_navigation():
        mine.click("input[name=_continue]")
    assert "自动合并" in mine.locator(".messagelist").inner_text()
    item.refresh_from_db()
    assert (item.headline, item.body) == ("甲公司融资", "甲公司完成融资2.8亿元。")

    # now both change the text: a conflict screen with the diff; overwriting is a choice
    theirs.goto(url)
    mine.goto(url)
    theirs.fill("#id_body", "甲公司完成融资2.80亿元。")
    with theirs.expect_navigation():
        theirs.click("input[name=_continue]")
    mine.fill("#id_body", "甲公司完成融资2.9亿元。")  # the same figure: a real conflict
    with mine.expect_navigation():
        mine.click("input[name=_continue]")
    conflict = mine.locator("#wf-conflict")
    assert "甲公司完成融资2.80亿元。" in conflict.inner_text()
    assert conflict.locator("del, ins").count() >= 1
    with mine.expect_navigation():  # saving again without the choice changes nothing
        mine.click("input[name=_continue]")
    item.refresh_from_db()
    assert item.body == "甲公司完成融资2.80亿元。"
    mine.check("#wf-overwrite")
    with mine.expect_navigation():
        mine.click("input[name=_continue]")
    item.refresh_from_db()
    assert item.body == "甲公司完成融资2.9亿元。"
    assert Transition.objects.filter(item=item, action="overwrite", by=desk["editor"]).exists()


def test_publish_asks_first_with_the_check_summary(live_server, desk, open_page):
    for item in (desk["one"], desk["two"]):
        workflow.approve_item(item, by=desk["reviewer"])
    page, _watcher = open_page(DESKTOP)
    login(page, live_server.url, "boss")
    page.goto(
        live_server.url + reverse("admin:bulletins_bulletin_change", args=[desk["bulletin"].pk])
    )
    assert page.locator("button[value=submit]").count() == 0  # nothing left to submit
    with page.expect_navigation():
        page.click("button[value=publish]")
    confirm = page.locator("#wf-confirm")
    assert "没有阻断项" in confirm.inner_text() and "共 2 条条目" in confirm.inner_text()
    desk["bulletin"].refresh_from_db()
    assert desk["bulletin"].status == BulletinStatus.APPROVED  # not yet
    with page.expect_navigation():
        page.click("#wf-confirm-button")
    desk["bulletin"].refresh_from_db()
    assert desk["bulletin"].status == BulletinStatus.PUBLISHED


def test_a_withdrawn_item_leaves_the_public_site_with_a_notice(live_server, desk, open_page):
    for item in (desk["one"], desk["two"]):
        workflow.approve_item(item, by=desk["reviewer"])
    workflow.publish(desk["bulletin"], by=desk["chief"])
    page, _watcher = open_page(DESKTOP)
    login(page, live_server.url, "boss")
    page.goto(
        live_server.url + reverse("admin:bulletins_bulletin_change", args=[desk["bulletin"].pk])
    )
    page.click("#wf-after-publication summary")
    form = page.locator("form.wf-withdraw")
    form.locator("select[name=item]").select_option(str(desk["one"].pk))
    form.locator("input[name=note]").fill("该融资消息未经证实。")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        form.locator("button").click()
    public = page.context.new_page()
    public.goto(live_server.url + desk["bulletin"].get_absolute_url())
    text = public.locator("main").inner_text()
    assert "该融资消息未经证实。" in text and "甲公司融资2.80亿元。" not in text
    assert "乙公司获批。" in text
    gone = public.goto(live_server.url + desk["one"].get_absolute_url())
    assert gone.status == 410


def test_a_duplicate_in_the_paste_is_flagged_in_the_preview(live_server, desk, open_page):
    page, _watcher = open_page(DESKTOP)
    login(page, live_server.url, "ed")
    page.goto(live_server.url + reverse("bulletin_import"))
    page.fill(
        "textarea[name=text]",
        "头条 | 日报\n(医药健闻2026年3月20日讯)\n【企业动态】\n1、丙公司完成5亿元B轮融资,由某基金领投。\n"
        "2、丁公司宣布裁员。\n3、丙公司完成5亿元B轮融资,由某基金领投。\n",
    )
    with page.expect_navigation():
        page.click("input[name=preview]")
    warning = page.locator("#import-warnings li.imp-w-duplicate_in_paste")
    assert "第 6 行" in warning.inner_text() and "第 4 行" in warning.inner_text()
    lines = page.locator("#import-warnings li").all_inner_texts()
    assert lines[0].startswith("第 1 行") and lines[-1].startswith("第 6 行")  # line order


def test_pages_at_phone_width_have_no_sideways_scroll_and_no_english(live_server, desk, open_page):
    urls = [
        reverse("admin:bulletins_item_review"),
        reverse("admin:bulletins_item_change", args=[desk["one"].pk]),
        reverse("admin:bulletins_bulletin_dashboard"),
        reverse("admin:bulletins_item_desk"),
    ]
    for username in ("ed", "rev", "boss"):  # one pass per role, each in its own browser context
        page, _watcher = open_page(PHONE)
        login(page, live_server.url, username)
        for url in urls:
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{username} {url}: {width}px wide"
            found, _links = english_in(page.content(), {"ed", "ed2", "rev", "boss"})
            assert found == [], f"{username} {url}"


def test_the_reviewer_works_the_queue_from_the_keyboard(live_server, desk, open_page):
    page, watcher = open_page(PHONE)  # early morning, on the phone
    login(page, live_server.url, "rev")
    page.goto(live_server.url + reverse("admin:bulletins_item_review"))
    rows = page.locator(".wf-queue tbody tr")
    assert rows.count() == 2
    page.keyboard.press("j")  # to the second item
    assert "wf-current" in (rows.nth(1).get_attribute("class") or "")
    page.keyboard.press("k")
    with page.expect_navigation():
        page.keyboard.press("a")  # approve the first
    assert Item.objects.get(pk=desk["one"].pk).status == ItemStatus.APPROVED
    page.keyboard.press("r")  # the comment box of the (now first) remaining item
    page.keyboard.type("来源是哪里?")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    two = Item.objects.get(pk=desk["two"].pk)
    assert two.status == ItemStatus.CHANGES_REQUESTED
    assert two.transitions.filter(action="request_changes", comment="来源是哪里?").exists()
    assert [e for e in watcher.errors if "page error" in e] == []


UNSEEN_ISSUE = (
    "澄岚生物完成2亿元A轮融资;禾曦医药HX-2207获批临床 | 日报\n"
    "(医药健闻2026年11月20日讯)\n\n企业动态\n"
    "苏州澄岚生物科技有限公司(以下简称“澄岚生物”)宣布完成2亿元人民币A轮融资,由启明创投领投,"
    "老股东持续加码,资金将用于推进其双抗平台的临床开发。\n"
    "上海禾曦医药宣布,其自主研发的HX-2207片获国家药监局临床试验默示许可,拟用于治疗晚期实体瘤,"
    "这是该公司第二款进入临床的小分子候选药物。\n"
)


def test_an_unseen_issue_shows_its_new_names_and_each_is_linked_in_one_click(
    live_server, desk, open_page
):
    """Issue 15's 'done when': names the gazetteer has never seen are proposed on import —
    the sure ones pre-ticked for creation (the editor may untick), the rest as candidates —
    and a candidate becomes a linked entity with one click on the item page."""
    from bulletins.entities import load_gazetteer
    from bulletins.models import Entity, ItemEntity

    load_gazetteer()
    page, _watcher = open_page(DESKTOP)
    login(page, live_server.url, "ed")
    page.goto(live_server.url + reverse("bulletin_import"))
    page.fill("textarea[name=text]", UNSEEN_ISSUE)
    with page.expect_navigation():
        page.click("input[name=preview]")
    found = page.locator("#import-discoveries").inner_text()
    assert "澄岚生物" in found and "HX-2207" in found
    assert "上海禾曦医药" in page.locator(".imp-candidates").all_inner_texts()[1]
    # The editor unticks the drug code: it must stay a candidate, not become an entity.
    page.locator("#import-discoveries tr", has_text="HX-2207").locator("input").uncheck()
    with page.expect_navigation():
        page.click("input[name=save]")
    company = Entity.objects.get(name="澄岚生物")
    assert company.is_discovered
    assert not Entity.objects.filter(name="HX-2207").exists()
    item = Item.objects.get(body__startswith="上海禾曦医药")
    page.goto(live_server.url + reverse("admin:bulletins_item_change", args=[item.pk]))
    code = page.locator('input[name=name][value="HX-2207"]')
    row = page.locator("table.entity-candidates tr").filter(has=code)
    with page.expect_navigation():
        row.get_by_role("button", name="新建并关联").click()
    drug = Entity.objects.get(name="HX-2207")
    assert drug.type == "drug"
    assert ItemEntity.objects.filter(item=item, entity=drug, is_confirmed=True).exists()
    assert page.locator('input[name=name][value="HX-2207"]').count() == 0
