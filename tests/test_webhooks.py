"""Webhooks: signed requests to a real HTTP receiver on loopback, retries, SSRF refusals."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from bulletins import workflow
from distribution import webhooks
from distribution.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

from .worker import run_worker

RECEIVER_PORT = 8041
SECRET = "partner-shared-secret"


class Receiver:
    """A partner's endpoint: verifies the signature, fails the first ``failures`` requests."""

    def __init__(self, failures=0):
        self.failures = failures
        self.requests = []
        self.accepted = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get(webhooks.SIGNATURE_HEADER, "")
                valid = webhooks.verify(SECRET, signature, body)
                receiver.requests.append((self.headers.get("X-Newsroom-Event"), valid))
                if not valid:
                    self.send_response(401)
                elif len(receiver.requests) <= receiver.failures:
                    self.send_response(503)
                else:
                    receiver.accepted.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(db, settings):
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    return WebhookEndpoint.objects.create(
        url=f"http://127.0.0.1:{RECEIVER_PORT}/hooks", secret=SECRET, description="partner"
    )


@pytest.fixture
def approved(draft_bulletin, editor, reviewer):
    workflow.submit_bulletin(draft_bulletin, by=editor)
    for item in draft_bulletin.items.all():
        workflow.approve_item(item, by=reviewer)
    draft_bulletin.refresh_from_db()
    return draft_bulletin


def test_published_issue_reaches_the_receiver_signed_with_the_api_payload(
    endpoint, approved, chief, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(approved, by=chief)
        run_worker()
    assert receiver.requests == [("issue.published", True)]
    [payload] = receiver.accepted
    assert payload["event"] == "issue.published"
    assert payload["bulletin"]["issued_on"] == "2026-03-17"
    bodies = [i["body"] for s in payload["bulletin"]["sections"] for i in s["items"]]
    assert "罗氏宣布扩建AI工厂。" in bodies
    assert payload["bulletin"]["url"].startswith("http")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.response_status == 204


def test_receiver_failing_three_times_gets_the_event_once_it_succeeds(
    endpoint, approved, chief, settings, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_DELIVERY_RETRY_SECONDS = 0
    with Receiver(failures=3) as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(approved, by=chief)
        run_worker()
    assert [valid for _event, valid in receiver.requests] == [True] * 4
    assert len(receiver.accepted) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 4


def test_unreachable_receiver_is_recorded_as_failed_with_the_reason(
    endpoint, approved, chief, settings, django_capture_on_commit_callbacks
):
    settings.NEWSROOM_DELIVERY_RETRY_SECONDS = 0
    settings.NEWSROOM_DELIVERY_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(approved, by=chief)
    run_worker()  # nobody listens on the port
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2
    assert "Connection" in delivery.last_error


def test_correction_and_retraction_events(
    endpoint, approved, chief, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(approved, by=chief)
        run_worker()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.correct(approved, by=chief, note="更正:日期有误。")
        run_worker()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.retract(approved, by=chief, comment="全文撤回。")
        run_worker()
    events = [p["event"] for p in receiver.accepted]
    assert events == ["issue.published", "issue.corrected", "issue.retracted"]
    retracted = receiver.accepted[2]["bulletin"]
    assert retracted["retraction_note"] == "全文撤回。" and "sections" not in retracted


def test_nothing_is_sent_for_a_scheduled_issue_before_its_time(
    endpoint, approved, chief, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(approved, by=chief, at=timezone.now() + dt.timedelta(hours=1))
    run_worker()
    assert not WebhookDelivery.objects.exists()


def test_redeliver_from_the_admin(endpoint, approved, chief, client, settings, admin_user):
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="issue.published",
        key="issue.published:2026-03-17",
        payload={"event": "issue.published"},
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="HTTP 500",
    )
    client.force_login(admin_user)
    response = client.post(
        "/admin/distribution/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    with Receiver() as receiver:
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(receiver.accepted) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "http://93.184.215.14/hook",  # plain http
    ],
)
def test_private_loopback_link_local_and_plain_http_targets_are_refused(settings, url):
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        webhooks.validate_target(url)


def test_a_public_https_target_is_accepted(settings):
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = False
    webhooks.validate_target("https://93.184.215.14/hook")  # resolving an IP needs no DNS


def test_refused_target_is_not_contacted_at_send_time(
    db, settings, approved, chief, django_capture_on_commit_callbacks
):
    """Registered while allowed (or rebound later): checked again before every request."""
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = True
    WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{RECEIVER_PORT}/", secret=SECRET)
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = False
    settings.NEWSROOM_DELIVERY_MAX_ATTEMPTS = 1
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(approved, by=chief)
        run_worker()
    assert receiver.requests == []
    assert "https" in WebhookDelivery.objects.get().last_error


def test_signature_verification_rejects_tampering_and_old_timestamps():
    body = b'{"event":"issue.published"}'
    header = webhooks.sign(SECRET, 1_700_000_000, body)
    assert webhooks.verify(SECRET, header, body, now=1_700_000_010)
    assert not webhooks.verify(SECRET, header, body + b" ", now=1_700_000_010)
    assert not webhooks.verify("other", header, body, now=1_700_000_010)
    assert not webhooks.verify(SECRET, header, body, now=1_700_009_999)
    assert not webhooks.verify(SECRET, "garbage", body)


def test_endpoint_admin_form_refuses_a_private_target(admin_client, settings):
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = False
    response = admin_client.post(
        "/admin/distribution/webhookendpoint/add/",
        {
            "description": "p",
            "url": "https://169.254.169.254/",
            "events": ["issue.published"],
            "secret": "s",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "内网" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_withdrawn_item_is_pushed_to_partners_told_of_its_issue(
    endpoint, approved, chief, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.publish(approved, by=chief)
        run_worker()
        item = approved.items.order_by("pk").first()
        with django_capture_on_commit_callbacks(execute=True):
            workflow.withdraw_item(item, by=chief, note="数据有误,撤下。")
        run_worker()
    assert [p["event"] for p in receiver.accepted] == ["issue.published", "item.withdrawn"]
    withdrawn = receiver.accepted[1]["item"]
    assert withdrawn["id"] == item.pk and withdrawn["withdrawal_note"] == "数据有误,撤下。"
    assert "body" not in withdrawn  # the text is gone from every public surface
    assert receiver.requests[1] == ("item.withdrawn", True)


def test_no_withdrawal_event_for_partners_never_told_of_the_issue(
    approved, chief, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(approved, by=chief)
    run_worker()  # no endpoint yet: nobody was told
    settings.NEWSROOM_WEBHOOK_ALLOW_PRIVATE = True
    WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{RECEIVER_PORT}/hooks", secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_item(approved.items.first(), by=chief, note="撤下。")
    run_worker()
    assert not WebhookDelivery.objects.filter(event="item.withdrawn").exists()
