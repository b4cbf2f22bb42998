"""The distribution admin: subscribers, the per-issue report, resending failures."""

from django.core import mail
from django.utils import timezone

from bulletins.models import Bulletin, BulletinStatus, Item, ItemStatus, Section
from distribution.models import Delivery, DeliveryKind, DeliveryStatus, Subscriber

from .factories import EntityFactory
from .worker import run_worker


def _delivery(subscriber, bulletin, status, error=""):
    item = bulletin.items.first()
    return Delivery.objects.create(
        item_ids=[item.pk],
        subscriber=subscriber,
        bulletin=bulletin,
        kind=DeliveryKind.ISSUE,
        key=DeliveryKind.ISSUE,
        status=status,
        last_error=error,
    )


def test_subscriber_list_shows_status_follows_and_counts(client, chief, db):
    subscriber = Subscriber.objects.create(email="a@example.com", status="active")
    subscriber.follows.create(entity=EntityFactory(name="罗氏"))
    client.force_login(chief)
    response = client.get("/admin/distribution/subscriber/?q=a%40example")
    assert response.status_code == 200
    content = response.content.decode()
    assert "a@example.com" in content and "已订阅" in content
    assert client.get("/admin/distribution/subscriber/?q=罗氏").context["cl"].result_count == 1


def test_delivery_report_and_resend_failures(client, chief, db, django_capture_on_commit_callbacks):
    bulletin = Bulletin.objects.create(
        issued_on=timezone.localdate(), status=BulletinStatus.PUBLISHED, publish_at=timezone.now()
    )
    Item.objects.create(
        bulletin=bulletin,
        section=Section.objects.first(),
        position=1,
        status=ItemStatus.APPROVED,
        body="一条已发布的条目。",
    )
    ok = Subscriber.objects.create(email="ok@example.com", status="active")
    bad = Subscriber.objects.create(email="bad@example.com", status="active")
    _delivery(ok, bulletin, DeliveryStatus.SENT)
    failed = _delivery(bad, bulletin, DeliveryStatus.FAILED, "SMTPRecipientsRefused: 550")
    client.force_login(chief)
    changelist = client.get("/admin/distribution/delivery/").content.decode()
    assert "/admin/distribution/delivery/report/" in changelist
    report = client.get("/admin/distribution/delivery/report/")
    assert report.status_code == 200
    content = report.content.decode()
    assert "SMTPRecipientsRefused: 550" in content
    response = client.post(
        "/admin/distribution/delivery/",
        {"action": "resend", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.attempts == 0
    run_worker()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [["bad@example.com"]]


def test_editor_cannot_open_subscribers(client, editor):
    client.force_login(editor)
    assert client.get("/admin/distribution/subscriber/").status_code == 403


def test_admin_unsubscribes_through_the_service(client, chief, db):
    subscriber = Subscriber.objects.create(email="x@example.com", status="active")
    client.force_login(chief)
    response = client.post(
        "/admin/distribution/subscriber/",
        {"action": "unsubscribe", "_selected_action": [subscriber.pk]},
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed" and subscriber.unsubscribed_at is not None
