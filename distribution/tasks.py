"""Background tasks (django.tasks, run by ``manage.py db_worker``).

Each task re-reads the database: the issue is sent only if it is public when the task runs
(the same ``published()`` rule the site uses), so a schedule that was cancelled, or an issue
retracted before its time, sends nothing.
"""

import datetime as dt
import logging
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.core.mail import mailers
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from bulletins.models import Bulletin, BulletinStatus, Correction, Item, ItemStatus

from . import emails, outbox, services, webhooks
from .models import Delivery, Subscriber, SubscriberStatus, WebhookDelivery
from .models import WebhookEvent as Event

logger = logging.getLogger(__name__)


def _guard(task_, *args) -> None:
    """The same task again after the lease, in case this worker dies before it finishes."""
    at = timezone.now() + outbox.lease() + dt.timedelta(seconds=1)
    task_.using(run_after=at).enqueue(*args)


def _send() -> None:
    send_deliveries.enqueue()
    deliver_webhooks.enqueue()


@task()
def dispatch_issue(bulletin_id: int) -> int:
    bulletin = Bulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is None:
        return 0
    if bulletin.status == BulletinStatus.SCHEDULED and not bulletin.is_public():
        # Re-scheduled later than this task's time: wait for the new time.
        dispatch_issue.using(run_after=bulletin.publish_at).enqueue(bulletin_id)
        return 0
    if not bulletin.is_public():
        return 0
    key = services.webhook_key(Event.ISSUE_PUBLISHED, bulletin)
    if bulletin.deliveries.exists() or WebhookDelivery.objects.filter(key=key).exists():
        _send()  # planned already: make sure the sending runs (cheap when nothing is left)
        return 0
    # If this worker dies while planning, the plan (one transaction) is not there and this
    # guard plans it again after the lease.
    _guard(dispatch_issue, bulletin_id)
    with transaction.atomic():
        plan = services.plan_issue(bulletin)
        services.plan_webhooks(
            Event.ISSUE_PUBLISHED,
            key,
            {"event": Event.ISSUE_PUBLISHED, "bulletin": webhooks.issue_payload(bulletin)},
        )
    _send()
    return plan.created


@task()
def dispatch_correction(correction_id: int) -> int:
    correction = Correction.objects.select_related("bulletin").filter(pk=correction_id).first()
    if correction is None or not correction.bulletin.is_public():
        return 0
    bulletin = correction.bulletin
    key = services.webhook_key(Event.ISSUE_CORRECTED, bulletin, extra=str(correction.pk))
    if correction.deliveries.exists() or WebhookDelivery.objects.filter(key=key).exists():
        _send()
        return 0
    _guard(dispatch_correction, correction_id)
    with transaction.atomic():
        created = services.plan_correction(correction)
        services.plan_webhooks(
            Event.ISSUE_CORRECTED,
            key,
            {
                "event": Event.ISSUE_CORRECTED,
                "correction": {
                    "note": correction.note,
                    "item": correction.item_id,
                    "created_at": correction.created_at.isoformat(),
                },
                "bulletin": webhooks.issue_payload(bulletin),
            },
        )
    _send()
    return created


@task()
def dispatch_retraction(bulletin_id: int) -> int:
    bulletin = Bulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is None or bulletin.status != BulletinStatus.RETRACTED:
        return 0
    _guard(dispatch_retraction, bulletin_id)  # planning a retraction twice changes nothing
    with transaction.atomic():
        created = services.plan_retraction(bulletin)
        # Partners hear of it only if they were told of the issue.
        told = WebhookDelivery.objects.filter(
            key=services.webhook_key(Event.ISSUE_PUBLISHED, bulletin), status="sent"
        )
        if told.exists():
            services.plan_webhooks(
                Event.ISSUE_RETRACTED,
                services.webhook_key(Event.ISSUE_RETRACTED, bulletin),
                {"event": Event.ISSUE_RETRACTED, "bulletin": webhooks.retraction_payload(bulletin)},
            )
    _send()
    return created


@task()
def dispatch_withdrawal(item_id: int) -> int:
    item = Item.objects.select_related("bulletin").filter(pk=item_id).first()
    if item is None or item.status != ItemStatus.WITHDRAWN:
        return 0
    bulletin = item.bulletin
    told = WebhookDelivery.objects.filter(
        key=services.webhook_key(Event.ISSUE_PUBLISHED, bulletin), status="sent"
    )
    if not told.exists():
        return 0
    with transaction.atomic():
        created = services.plan_webhooks(
            Event.ITEM_WITHDRAWN,
            services.webhook_key(Event.ITEM_WITHDRAWN, bulletin, extra=str(item.pk)),
            {"event": Event.ITEM_WITHDRAWN, "item": webhooks.withdrawal_payload(item)},
        )
    _send()
    return created


class Senders:
    """``connections`` open connections of the newsletter mailer, used at once.

    With more than one, the worker renders the next message while the mail server takes the
    previous ones (the two share the machine's cores); at most ``connections`` messages are
    in flight, so at most that many can be accepted and not yet settled when a worker dies.
    """

    def __init__(self, connections: int):
        self.connections = max(1, connections)
        self._local = threading.local()
        self._mailers = []
        self._lock = threading.Lock()
        self._pool = None

    def _mailer(self):
        mailer = getattr(self._local, "mailer", None)
        if mailer is None:
            mailer = self._local.mailer = mailers[settings.NEWSROOM_NEWSLETTER_MAILER]
            mailer.open()
            with self._lock:
                self._mailers.append(mailer)
        return mailer

    def _send(self, message) -> None:
        mailer = self._mailer()
        try:
            mailer.send_messages([message])
        except Exception:
            mailer.close()  # the connection may be broken: the next send opens a fresh one
            try:
                mailer.open()
            except Exception:  # the next send reports it on its own row
                logger.warning("reopening the mail connection failed", exc_info=True)
            raise

    def submit(self, message) -> Future:
        if self._pool is None:
            future = Future()
            try:
                self._send(message)
            except Exception as error:
                future.set_exception(error)
            else:
                future.set_result(None)
            return future
        return self._pool.submit(self._send, message)

    def __enter__(self):
        if self.connections > 1:
            self._pool = ThreadPoolExecutor(self.connections, thread_name_prefix="mail")
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for mailer in self._mailers:
            mailer.close()


def send_email_batch(ids: list[int], worker: str, *, renderer=None) -> None:
    renderer = renderer or emails.Renderer()
    deliveries = (
        Delivery.objects.filter(pk__in=ids, claimed_by=worker)
        .select_related("subscriber", "bulletin", "correction")
        .order_by("pk")
    )
    in_flight = {}

    def settle(future):
        delivery = in_flight.pop(future)
        error = future.exception()
        if error is None:
            outbox.settle_sent(Delivery, delivery.pk, worker=worker, sent_at=timezone.now())
        else:  # the transport's reason is what the admin shows
            logger.warning("delivery %s failed: %s", delivery.pk, error)
            reason = f"{type(error).__name__}: {error}"
            outbox.settle_failed(Delivery, delivery, worker=worker, reason=reason)

    with Senders(settings.NEWSROOM_MAIL_CONNECTIONS) as senders:
        for delivery in deliveries:
            subscriber = delivery.subscriber
            if subscriber.status != SubscriberStatus.ACTIVE:
                outbox.settle_cancelled(Delivery, delivery.pk, worker=worker, reason="inactive")
                continue
            try:
                rendered = renderer.render(delivery)
            except emails.Skip as skip:
                outbox.settle_cancelled(Delivery, delivery.pk, worker=worker, reason=str(skip))
                continue
            message = rendered.message(subscriber, message_id=emails.message_id(delivery))
            in_flight[senders.submit(message)] = delivery
            # Settle each message as soon as the server answers: the rows of this worker
            # that a crash leaves unsettled are the in-flight ones only.
            while len(in_flight) >= senders.connections:
                done, _pending = wait(list(in_flight), return_when=FIRST_COMPLETED)
                for future in done:
                    settle(future)
        for future in list(in_flight):
            wait([future])
            settle(future)


@task()
def send_deliveries() -> int:
    renderer = emails.Renderer()
    return outbox.drain(
        Delivery,
        lambda ids, worker: send_email_batch(ids, worker, renderer=renderer),
        guard=send_deliveries,
    )


def send_webhook_batch(ids: list[int], worker: str) -> None:
    for delivery in WebhookDelivery.objects.filter(pk__in=ids, claimed_by=worker).select_related(
        "endpoint"
    ):
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            outbox.settle_cancelled(
                WebhookDelivery, delivery.pk, worker=worker, reason="endpoint inactive"
            )
            continue
        try:
            status = webhooks.post(
                endpoint.url,
                secret=endpoint.secret,
                event=delivery.event,
                delivery_id=delivery.pk,
                payload=delivery.payload,
            )
        except Exception as error:  # refused target, DNS, TLS, timeout: all retried
            outbox.settle_failed(
                WebhookDelivery, delivery, worker=worker, reason=f"{type(error).__name__}: {error}"
            )
            continue
        if 200 <= status < 300:
            outbox.settle_sent(
                WebhookDelivery,
                delivery.pk,
                worker=worker,
                delivered_at=timezone.now(),
                response_status=status,
            )
        else:
            outbox.settle_failed(
                WebhookDelivery,
                delivery,
                worker=worker,
                reason=f"HTTP {status}",
                response_status=status,
            )


@task()
def deliver_webhooks() -> int:
    return outbox.drain(WebhookDelivery, send_webhook_batch, guard=deliver_webhooks)


@task()
def send_confirmation(subscriber_id: int, token: str, entity_ids: list[int]) -> bool:
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    names = list(
        services.followable_entities().filter(pk__in=entity_ids).values_list("name", flat=True)
    )
    message = emails.confirmation_message(subscriber, token, names)
    mailers[settings.NEWSROOM_NEWSLETTER_MAILER].send_messages([message])
    return True
