"""Subscriptions and the daily email, through the real task backend (django-tasks-db) and
its worker loop (``db_worker --batch``) in this process; mail lands in Django's test outbox."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from bulletins import workflow
from bulletins.models import ItemEntity
from distribution import services
from distribution.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Follow,
    Subscriber,
    SubscriberStatus,
)

from .factories import EntityFactory
from .worker import run_worker

ROCHE_BODY = "罗氏宣布扩建AI工厂。"
HENGRUI_BODY = "恒瑞医药新药获批。"
NMPA_BODY = "国家药监局批准一款新药。"


def reader_mail():
    """The outbox without the newsroom's own notifications to its staff (the desk mails
    editors when an issue goes live and the chief when it is approved)."""
    from django.contrib.auth import get_user_model

    staff = set(get_user_model().objects.exclude(email="").values_list("email", flat=True))
    return [m for m in mail.outbox if not set(m.to) <= staff]


@pytest.fixture
def entities(draft_bulletin):
    roche = EntityFactory(name="罗氏", slug="roche")
    hengrui = EntityFactory(name="恒瑞医药", slug="hengrui")
    items = {item.body: item for item in draft_bulletin.items.all()}
    ItemEntity.objects.create(item=items[ROCHE_BODY], entity=roche)
    ItemEntity.objects.create(item=items[HENGRUI_BODY], entity=hengrui)
    return {"roche": roche, "hengrui": hengrui}


@pytest.fixture
def approved_bulletin(draft_bulletin, entities, editor, reviewer):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    draft_bulletin.refresh_from_db()
    return draft_bulletin


def publish(bulletin, chief, django_capture_on_commit_callbacks, *, at=None):
    with django_capture_on_commit_callbacks(execute=True):
        return workflow.publish(bulletin, by=chief, at=at)


def active(email, *, wants_issue=True, follows=()):
    subscriber = Subscriber.objects.create(
        email=email,
        wants_issue=wants_issue,
        status=SubscriberStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )
    for entity in follows:
        Follow.objects.create(subscriber=subscriber, entity=entity)
    return subscriber


def to(address):
    return [m for m in mail.outbox if m.to == [address]]


def link_in(message, name):
    return re.search(rf"https?://[^/\s]+(/{name}/[^\s\"<]+)", message.body)[1]


def subscribe(client, email, **extra):
    with_commit = extra.pop("capture")
    with with_commit(execute=True):
        return client.post("/subscribe/", {"email": email, "wants_issue": "on", **extra})


# ----------------------------------------------------------------------------- double opt-in


def test_nothing_is_sent_before_confirmation(
    client, approved_bulletin, chief, django_capture_on_commit_callbacks
):
    response = subscribe(client, "reader@example.com", capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    messages = to("reader@example.com")
    assert len(messages) == 1, [m.subject for m in messages]
    assert "确认" in messages[0].subject
    assert Subscriber.objects.get().status == SubscriberStatus.PENDING
    assert not Delivery.objects.exists()


def test_confirmed_subscriber_gets_the_issue_as_multipart_with_one_click_headers(
    client, approved_bulletin, chief, django_capture_on_commit_callbacks
):
    subscribe(client, "Reader@Example.com", capture=django_capture_on_commit_callbacks)
    run_worker()
    confirm_path = link_in(to("reader@example.com")[0], "subscribe/confirm")
    assert client.get(confirm_path).status_code == 200
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    [message] = [m for m in to("reader@example.com") if "确认" not in m.subject]
    assert ROCHE_BODY in message.body and NMPA_BODY in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and ROCHE_BODY in html and 'style="' in html
    assert "<style" not in html and "class=" not in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http") and "/unsubscribe/" in unsubscribe
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert approved_bulletin.get_absolute_url() in message.body
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_same_answer_for_new_and_already_subscribed_address(
    client, django_capture_on_commit_callbacks, db
):
    active("known@example.com")
    first = subscribe(client, "new@example.com", capture=django_capture_on_commit_callbacks)
    second = subscribe(client, "known@example.com", capture=django_capture_on_commit_callbacks)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert client.get(first["Location"]).content == client.get(second["Location"]).content


def test_invalid_address_is_refused_with_a_message(client, db):
    response = client.post("/subscribe/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert "有效的邮箱地址" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_subscribe_form_is_rate_limited_per_address(
    client, settings, django_capture_on_commit_callbacks, db
):
    settings.NEWSROOM_SUBSCRIBE_PER_ADDRESS = 2
    codes = [
        subscribe(client, "a@example.com", capture=django_capture_on_commit_callbacks).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_subscribe_form_is_rate_limited_per_client(client, settings, db):
    settings.NEWSROOM_SUBSCRIBE_PER_CLIENT = 2
    codes = [
        client.post("/subscribe/", {"email": f"r{n}@example.com"}).status_code for n in range(3)
    ]
    assert codes == [302, 302, 429]


def test_client_limit_reads_the_proxy_header_when_configured(client, settings, db):
    settings.NEWSROOM_SUBSCRIBE_PER_CLIENT = 1
    settings.NEWSROOM_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    codes = [
        client.post(
            "/subscribe/", {"email": f"p{n}@example.com"}, HTTP_X_REAL_IP=f"203.0.113.{n}"
        ).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 302]  # three readers behind one proxy


@pytest.mark.parametrize("token", ["garbage", "x" * 300, "a:b:c"])
def test_bad_links_answer_400_not_500(client, db, token):
    for path in (f"/subscribe/confirm/{token}/", f"/subscription/{token}/"):
        assert client.get(path).status_code == 400
    assert client.post(f"/unsubscribe/{token}/").status_code == 400


def test_expired_confirmation_link_answers_400(client, db, settings):
    subscriber = Subscriber.objects.create(email="late@example.com")
    token = services.confirm_token(subscriber, wants_issue=True)
    later = timezone.now() + dt.timedelta(days=settings.NEWSROOM_CONFIRM_LINK_DAYS, seconds=5)
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.get(f"/subscribe/confirm/{token}/")
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING


def test_forged_manage_token_for_another_subscriber_is_refused(client, db):
    victim = active("victim@example.com")
    forged = signing.dumps({"s": victim.pk, "k": "guess"}, salt=services.MANAGE_SALT)
    assert client.post(f"/unsubscribe/{forged}/").status_code == 400
    victim.refresh_from_db()
    assert victim.status == SubscriberStatus.ACTIVE


# ----------------------------------------------------------------------------- unsubscribe


def test_one_click_unsubscribe_through_the_header_link(
    approved_bulletin, chief, editor, reviewer, django_capture_on_commit_callbacks
):
    active("leaver@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    [message] = to("leaver@example.com")
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = "/" + url.split("/", 3)[3]
    # RFC 8058: the mail client POSTs this body without cookies or a CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscriber.objects.get().status == SubscriberStatus.UNSUBSCRIBED


def test_manage_page_pauses_and_unfollows(client, entities, db):
    subscriber = active("m@example.com", follows=[entities["roche"]])
    path = f"/subscription/{services.manage_token(subscriber)}/"
    assert "罗氏" in client.get(path).content.decode()
    response = client.post(path, {"paused": "on", "unfollow": [entities["roche"].pk]})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PAUSED and not subscriber.wants_issue
    assert not subscriber.follows.exists()


# ----------------------------------------------------------------------------- following


def test_follower_gets_only_items_about_what_they_follow_in_one_email(
    approved_bulletin, entities, chief, django_capture_on_commit_callbacks
):
    active("f@example.com", wants_issue=False, follows=[entities["roche"], entities["hengrui"]])
    active("none@example.com", wants_issue=False, follows=[EntityFactory(name="无关公司")])
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    [message] = to("f@example.com")
    assert ROCHE_BODY in message.body and HENGRUI_BODY in message.body
    assert NMPA_BODY not in message.body
    assert NMPA_BODY not in message.alternatives[0][0]
    assert to("none@example.com") == []


def test_following_an_entity_through_its_page(
    client, approved_bulletin, entities, chief, django_capture_on_commit_callbacks
):
    # The entity must be public before anyone may follow it (no unpublished names).
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    page = client.get(entities["roche"].get_absolute_url()).content.decode()
    assert "/subscribe/?entity=roche" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/subscribe/?entity=roche", {"email": "fan@example.com", "entity": "roche"})
    run_worker()
    client.get(link_in(to("fan@example.com")[0], "subscribe/confirm"))
    subscriber = Subscriber.objects.get(email="fan@example.com")
    assert list(subscriber.entities.all()) == [entities["roche"]]
    assert not subscriber.wants_issue


def test_nothing_unpublished_reaches_an_email(
    draft_bulletin, entities, editor, reviewer, chief, django_capture_on_commit_callbacks
):
    """A spiked item and an unconfirmed entity link stay out of every email."""
    active("daily@example.com")
    active("nmpa@example.com", wants_issue=False, follows=[entities["hengrui"]])
    spiked = draft_bulletin.items.get(body=NMPA_BODY)
    workflow.spike_item(spiked, by=editor)
    ItemEntity.objects.filter(entity=entities["hengrui"]).update(is_confirmed=False)
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.exclude(pk=spiked.pk):
        workflow.approve_item(item, by=reviewer)
    draft_bulletin.refresh_from_db()
    publish(draft_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    [message] = reader_mail()
    assert message.to == ["daily@example.com"]
    assert NMPA_BODY not in message.body and NMPA_BODY not in message.alternatives[0][0]


def test_a_follow_of_a_merged_entity_follows_the_survivor(
    approved_bulletin, entities, chief, django_capture_on_commit_callbacks
):
    old = EntityFactory(name="罗氏制药", slug="roche-old", merged_into=entities["roche"])
    active("old@example.com", wants_issue=False, follows=[old])
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    [message] = to("old@example.com")
    assert ROCHE_BODY in message.body and HENGRUI_BODY not in message.body


def test_an_unpublished_entity_cannot_be_followed(client, entities, db):
    response = client.get("/subscribe/?entity=roche")
    assert "关注罗氏" not in response.content.decode()


# ----------------------------------------------------------------------------- when to send


def test_nothing_is_sent_for_an_issue_that_is_not_public(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    services.plan_issue(approved_bulletin)
    run_worker()
    assert mail.outbox == [] and not Delivery.objects.exists()


def test_scheduled_issue_is_sent_once_its_time_passes(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    at = timezone.now() + dt.timedelta(hours=2)
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks, at=at)
    run_worker()
    assert mail.outbox == []
    later = at + dt.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        run_worker()
    assert [m.to for m in mail.outbox] == [["r@example.com"]]


def test_unscheduled_issue_sends_nothing_when_its_old_time_passes(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    at = timezone.now() + dt.timedelta(hours=2)
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks, at=at)
    workflow.unschedule(approved_bulletin, by=chief)
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        run_worker()
    assert mail.outbox == [] and not Delivery.objects.exists()


def test_issue_retracted_before_its_time_sends_nothing(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    at = timezone.now() + dt.timedelta(hours=2)
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks, at=at)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.retract(approved_bulletin, by=chief, comment="误发")
    with mock.patch("django.utils.timezone.now", return_value=at + dt.timedelta(seconds=1)):
        run_worker()
    assert mail.outbox == []


def test_pending_emails_of_a_retracted_issue_are_cancelled(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    services.plan_issue(approved_bulletin)  # planned, not sent yet
    with django_capture_on_commit_callbacks(execute=True):
        workflow.retract(approved_bulletin, by=chief, comment="数据有误")
    run_worker()
    assert reader_mail() == []
    assert Delivery.objects.get().status == DeliveryStatus.CANCELLED


def test_the_send_task_commits_or_rolls_back_with_the_publication(approved_bulletin, chief):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    dispatches = DBTaskResult.objects.filter(task_path="distribution.tasks.dispatch_issue")
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.publish(approved_bulletin, by=chief)
        raise RuntimeError("the request failed after publishing")
    assert not dispatches.exists()
    workflow.publish(approved_bulletin, by=chief)
    assert dispatches.count() == 1


def test_planning_that_dies_midway_is_done_again_after_the_lease(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    with mock.patch.object(services, "plan_webhooks", side_effect=OSError("worker died")):
        run_worker()
    assert not Delivery.objects.exists()  # the plan was one transaction: nothing half-done
    later = timezone.now() + dt.timedelta(minutes=10)
    with mock.patch("django.utils.timezone.now", return_value=later):
        run_worker()
    assert len(to("r@example.com")) == 1


def test_a_reader_who_subscribes_after_an_issue_went_out_does_not_get_it(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("early@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    later = Subscriber.objects.create(
        email="late@example.com",
        status=SubscriberStatus.ACTIVE,
        confirmed_at=timezone.now() + dt.timedelta(seconds=1),
    )
    run_worker()  # the worker was busy: the issue is dispatched after the late confirmation
    assert [m.to for m in reader_mail()] == [["early@example.com"]]
    assert not later.deliveries.exists()


def test_planning_twice_sends_once(approved_bulletin, chief, django_capture_on_commit_callbacks):
    active("r@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    services.plan_issue(approved_bulletin)
    from distribution import tasks

    tasks.dispatch_issue.enqueue(approved_bulletin.pk)
    run_worker()
    assert len(to("r@example.com")) == 1


def test_several_connections_send_each_email_once(
    approved_bulletin, chief, settings, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_MAIL_CONNECTIONS = 3
    settings.NEWSROOM_DELIVERY_BATCH = 4
    for n in range(10):
        active(f"r{n}@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    assert sorted(m.to[0] for m in reader_mail()) == sorted(f"r{n}@example.com" for n in range(10))
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


# ----------------------------------------------------------------------------- notices


def test_correction_notice_goes_only_to_those_sent_the_corrected_item(
    approved_bulletin, entities, chief, django_capture_on_commit_callbacks
):
    active("daily@example.com")
    active("roche@example.com", wants_issue=False, follows=[entities["roche"]])
    active("hengrui@example.com", wants_issue=False, follows=[entities["hengrui"]])
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    item = approved_bulletin.items.get(body=HENGRUI_BODY)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.correct(
            approved_bulletin,
            by=chief,
            note="更正:药名有误。",
            item=item,
            body="恒瑞医药新药获批上市。",
        )
    mail.outbox.clear()
    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == ["daily@example.com", "hengrui@example.com"]
    notice = to("hengrui@example.com")[0]
    assert "更正" in notice.subject and "恒瑞医药新药获批上市。" in notice.body
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_retraction_notice_goes_to_those_sent_the_issue_without_its_text(
    approved_bulletin, chief, django_capture_on_commit_callbacks
):
    active("r@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    active("late@example.com")  # subscribed after the issue went out: no notice
    with django_capture_on_commit_callbacks(execute=True):
        workflow.retract(approved_bulletin, by=chief, comment="来源不实,全文撤回。")
    mail.outbox.clear()
    run_worker()
    [notice] = mail.outbox
    assert notice.to == ["r@example.com"] and "撤回" in notice.subject
    assert "来源不实" in notice.body and ROCHE_BODY not in notice.body
    assert Delivery.objects.filter(kind=DeliveryKind.RETRACTION).count() == 1


# ----------------------------------------------------------------------------- failures


class FailingBackend:
    """A transport that refuses everything, as a mail server outage does."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def open(self):
        return False

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp.example.com:587 refused the connection")


def test_failed_sends_are_retried_then_recorded_with_the_reason(
    approved_bulletin, chief, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {**settings.MAILERS, "failing": {"BACKEND": f"{__name__}.FailingBackend"}}
    settings.NEWSROOM_NEWSLETTER_MAILER = "failing"
    settings.NEWSROOM_DELIVERY_RETRY_SECONDS = 0
    settings.NEWSROOM_DELIVERY_MAX_ATTEMPTS = 3
    active("r@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert "refused the connection" in delivery.last_error


def test_a_failure_waits_for_its_backoff(
    approved_bulletin, chief, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {**settings.MAILERS, "failing": {"BACKEND": f"{__name__}.FailingBackend"}}
    settings.NEWSROOM_NEWSLETTER_MAILER = "failing"
    settings.NEWSROOM_DELIVERY_RETRY_SECONDS = 60
    active("r@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    settings.NEWSROOM_NEWSLETTER_MAILER = "default"
    with mock.patch(
        "django.utils.timezone.now", return_value=delivery.next_attempt_at + dt.timedelta(seconds=1)
    ):
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(to("r@example.com")) == 1


def test_retries_wait_in_one_guard_task_not_a_growing_chain(
    approved_bulletin, chief, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.MAILERS = {**settings.MAILERS, "failing": {"BACKEND": f"{__name__}.FailingBackend"}}
    settings.NEWSROOM_NEWSLETTER_MAILER = "failing"
    for n in range(3):
        active(f"r{n}@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    waiting = DBTaskResult.objects.filter(
        task_path="distribution.tasks.send_deliveries", status="READY"
    )
    now = timezone.now()
    for minutes in (0, 3, 6, 9, 12):  # the worker wakes up again and again while mail fails
        with mock.patch(
            "django.utils.timezone.now", return_value=now + dt.timedelta(minutes=minutes)
        ):
            run_worker()
        assert waiting.count() <= 2
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {3}


# ----------------------------------------------------------------------------- privacy


def test_export_and_delete_everything_about_one_subscriber(
    approved_bulletin, entities, chief, capsys, django_capture_on_commit_callbacks
):
    active("gone@example.com", follows=[entities["roche"]])
    active("stays@example.com")
    publish(approved_bulletin, chief, django_capture_on_commit_callbacks)
    run_worker()
    call_command("subscriber_data", "export", "Gone@example.com")
    out = capsys.readouterr().out
    assert '"email": "gone@example.com"' in out and '"roche"' in out and '"sent"' in out
    call_command("subscriber_data", "delete", "gone@example.com", "--yes")
    assert not Subscriber.objects.filter(email="gone@example.com").exists()
    assert not Follow.objects.exists()
    assert list(Delivery.objects.values_list("subscriber__email", flat=True)) == [
        "stays@example.com"
    ]


def test_subscriber_data_command_says_when_the_address_is_unknown(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody@example.com"):
        call_command("subscriber_data", "export", "nobody@example.com")


# ----------------------------------------------------------------------------- pages


def test_subscription_pages_render_with_bounded_queries(client, django_assert_max_num_queries, db):
    subscriber = active("q@example.com")
    token = services.manage_token(subscriber)
    for path in ("/subscribe/", f"/subscription/{token}/", f"/unsubscribe/{token}/"):
        with django_assert_max_num_queries(6):
            response = client.get(path)
        assert response.status_code == 200
        assert "Content-Security-Policy" in response.headers
