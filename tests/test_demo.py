import pytest
from django.core.management import call_command
from django.utils import timezone

from bulletins.demo import content
from bulletins.models import Bulletin, BulletinStatus, Entity, Item

pytestmark = pytest.mark.django_db


def test_demo_command_is_idempotent(capsys):
    call_command("load_demo")
    counts = (Bulletin.objects.count(), Item.objects.count(), Entity.objects.count())
    call_command("load_demo")
    assert (Bulletin.objects.count(), Item.objects.count(), Entity.objects.count()) == counts
    out = capsys.readouterr().out
    assert "editor / demo-editor-pass" in out and "chief / demo-chief-pass" in out


def test_demo_issue_is_published_in_the_real_format():
    from bulletins.exporters.text import export_text

    call_command("load_demo")
    bulletin = Bulletin.objects.get(issued_on=content.PUBLISHED_ON)
    assert bulletin.status == BulletinStatus.PUBLISHED
    assert Bulletin.objects.published().filter(pk=bulletin.pk).exists()
    lines = export_text(bulletin).split("\n")
    assert lines[0].endswith(" | 日报") and lines[0].count(";") == 2
    assert lines[1] == "(医药健闻2026年11月24日讯)"
    assert lines[2] == "" and lines[3] == "企业动态" and "产业动态" in lines
    assert bulletin.items.count() == 12


def test_demo_users_have_one_role_each():
    from django.contrib.auth import get_user_model

    call_command("load_demo")
    users = get_user_model().objects.filter(username__in=["editor", "reviewer", "chief"])
    assert {u.username: [g.name for g in u.groups.all()] for u in users} == {
        "editor": ["编辑"],
        "reviewer": ["审核"],
        "chief": ["主编"],
    }


def test_demo_has_earlier_issues_for_the_archive(client):
    call_command("load_demo")
    published = Bulletin.objects.published().order_by("issued_on")
    assert [b.issued_on for b in published] == [*content.EARLIER_ISSUES, content.PUBLISHED_ON]
    earlier = [b for b in published if b.issued_on in content.EARLIER_ISSUES]
    assert all(timezone.localdate(b.publish_at) == b.issued_on for b in earlier)
    assert client.get("/2026/10/28/").status_code == 200
