"""Subscriptions and what happens when an issue becomes public, is corrected or retracted.

The public views, the admin and the management commands call these functions; the workflow
calls only the ``on_*`` hooks (after its transaction commits). Sending itself happens in the
task worker (``distribution.tasks``).
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bulletins.models import Bulletin, BulletinStatus, Correction, Entity, Item, ItemEntity

from .models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Follow,
    Subscriber,
    SubscriberStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_key,
)

logger = logging.getLogger(__name__)

CONFIRM_SALT = "distribution.confirm"
MANAGE_SALT = "distribution.manage"


class InvalidLink(Exception):
    """A signed link that is forged, expired, or no longer belongs to a subscriber."""


class RateLimited(Exception):
    pass


# ----------------------------------------------------------------------------- links


def _key_part(subscriber: Subscriber) -> str:
    return subscriber.key[:12]


def confirm_token(subscriber: Subscriber, *, wants_issue: bool, entity_ids=()) -> str:
    """What the confirmation email links to: who, what they asked for, signed and dated."""
    payload = {"s": subscriber.pk, "k": _key_part(subscriber), "d": int(wants_issue)}
    if entity_ids:
        payload["e"] = sorted(set(entity_ids))
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def manage_token(subscriber: Subscriber) -> str:
    """Links in every email (manage, unsubscribe): no expiry; a new key revokes them."""
    return signing.dumps({"s": subscriber.pk, "k": _key_part(subscriber)}, salt=MANAGE_SALT)


def _load(token: str, *, salt: str, max_age=None) -> tuple[Subscriber, dict]:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
        subscriber = Subscriber.objects.get(pk=payload["s"])
    except (signing.BadSignature, Subscriber.DoesNotExist, KeyError, TypeError) as error:
        raise InvalidLink(str(error)) from None
    if payload.get("k") != _key_part(subscriber):
        raise InvalidLink("revoked")
    return subscriber, payload


def subscriber_for_manage_token(token: str) -> Subscriber:
    return _load(token, salt=MANAGE_SALT)[0]


def site_url(path: str) -> str:
    return settings.NEWSROOM_SITE_URL.rstrip("/") + path


# ----------------------------------------------------------------------------- subscribing


def normalize_email(address: str) -> str:
    return address.strip().lower()


def _hit(key: str, limit: int) -> bool:
    """Count one request under ``key`` for an hour; True when over ``limit``."""
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    return count > limit


def check_rate(*, email: str, client: str) -> None:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    over_address = _hit(
        f"distribution:subscribe:a:{digest}", settings.NEWSROOM_SUBSCRIBE_PER_ADDRESS
    )
    over_client = _hit(f"distribution:subscribe:c:{client}", settings.NEWSROOM_SUBSCRIBE_PER_CLIENT)
    if over_address or over_client:
        raise RateLimited


def followable_entities():
    """Entities a reader may follow: those the public site shows (never an unpublished name)."""
    return Entity.objects.public()


@transaction.atomic
def request_subscription(
    email: str, *, wants_issue: bool, entities=(), client: str = ""
) -> Subscriber:
    """Ask ``email`` to confirm; nothing else is ever sent before the link is clicked.

    The answer to the reader is the same whether the address is new, pending or already
    subscribed (no enumeration): every case gets one email with a confirmation link, which
    applies what was asked (the whole issue, follows) only when clicked.
    """
    email = normalize_email(email)
    check_rate(email=email, client=client)
    subscriber, created = Subscriber.objects.get_or_create(
        email=email, defaults={"wants_issue": wants_issue}
    )
    entity_ids = [e.pk for e in entities]
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.PENDING
        subscriber.save(update_fields=["status"])
    token = confirm_token(subscriber, wants_issue=wants_issue, entity_ids=entity_ids)
    from . import tasks

    tasks.send_confirmation.enqueue(subscriber.pk, token, entity_ids)  # iff this commits
    return subscriber


@transaction.atomic
def confirm(token: str) -> Subscriber:
    """Apply a confirmation link: the address is subscribed, with what it asked for."""
    max_age = settings.NEWSROOM_CONFIRM_LINK_DAYS * 24 * 3600
    subscriber, payload = _load(token, salt=CONFIRM_SALT, max_age=max_age)
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    fields = []
    if subscriber.status != SubscriberStatus.ACTIVE:
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.unsubscribed_at = None
        fields += ["status", "confirmed_at", "unsubscribed_at"]
    if payload.get("d") and not subscriber.wants_issue:
        subscriber.wants_issue = True
        fields.append("wants_issue")
    if fields:
        subscriber.save(update_fields=fields)
    follow(subscriber, Entity.objects.filter(pk__in=payload.get("e", [])))
    return subscriber


def follow(subscriber: Subscriber, entities) -> None:
    allowed = followable_entities().filter(pk__in=[e.pk for e in entities])
    Follow.objects.bulk_create(
        [Follow(subscriber=subscriber, entity=e) for e in allowed], ignore_conflicts=True
    )


def unfollow(subscriber: Subscriber, entity_ids) -> None:
    Follow.objects.filter(subscriber=subscriber, entity_id__in=entity_ids).delete()


def update_preferences(subscriber: Subscriber, *, wants_issue: bool, paused: bool) -> Subscriber:
    subscriber.wants_issue = wants_issue
    if subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        subscriber.status = SubscriberStatus.PAUSED if paused else SubscriberStatus.ACTIVE
    subscriber.save(update_fields=["wants_issue", "status"])
    return subscriber


@transaction.atomic
def unsubscribe(subscriber: Subscriber) -> Subscriber:
    """Stop everything at once: pending emails to this address are cancelled too."""
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.unsubscribed_at = timezone.now()
    subscriber.save(update_fields=["status", "unsubscribed_at"])
    subscriber.deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, last_error=str(_("已退订"))
    )
    return subscriber


def export_subscriber(subscriber: Subscriber) -> dict:
    """Everything stored about one address (for an access request)."""
    return {
        "email": subscriber.email,
        "status": subscriber.status,
        "wants_issue": subscriber.wants_issue,
        "created_at": subscriber.created_at.isoformat(),
        "confirmed_at": subscriber.confirmed_at and subscriber.confirmed_at.isoformat(),
        "unsubscribed_at": subscriber.unsubscribed_at and subscriber.unsubscribed_at.isoformat(),
        "follows": [
            {"entity": f.entity.slug, "name": f.entity.name, "since": f.created_at.isoformat()}
            for f in subscriber.follows.select_related("entity").order_by("created_at", "pk")
        ],
        "deliveries": [
            {
                "issue": d.bulletin.issued_on.isoformat(),
                "kind": d.kind,
                "status": d.status,
                "sent_at": d.sent_at and d.sent_at.isoformat(),
                "items": d.item_ids,
            }
            for d in subscriber.deliveries.select_related("bulletin").order_by("created_at", "pk")
        ],
    }


@transaction.atomic
def delete_subscriber(subscriber: Subscriber) -> dict:
    """Erase the address with its follows and delivery log; returns what was deleted."""
    _total, counts = subscriber.delete()
    return counts


def rotate_key(subscriber: Subscriber) -> None:
    subscriber.key = new_key()
    subscriber.save(update_fields=["key"])


# ----------------------------------------------------------------------------- planning


@dataclass
class Plan:
    created: int
    recipients: int


def issue_items(bulletin: Bulletin) -> list[Item]:
    """The items a reader may read now, in issue order (empty unless the issue is public)."""
    return list(
        Item.objects.published()
        .filter(bulletin=bulletin)
        .select_related("section")
        .in_issue_order()
    )


def plan_issue(bulletin: Bulletin) -> Plan:
    """One delivery row per confirmed subscriber with something to read in this issue.

    日报 subscribers get every item; entity followers get the items about what they follow,
    in one email, or none when nothing matches. Idempotent (the unique constraint).
    """
    bulletin = Bulletin.objects.published().filter(pk=bulletin.pk).first()  # as it is now
    if bulletin is None:
        return Plan(0, 0)
    items = issue_items(bulletin)
    order = {item.pk: n for n, item in enumerate(items)}
    all_ids = [item.pk for item in items]
    by_entity: dict[int, set[int]] = {}
    for entity_id, item_id in ItemEntity.objects.filter(
        item_id__in=all_ids, is_confirmed=True
    ).values_list("entity_id", "item_id"):
        by_entity.setdefault(entity_id, set()).add(item_id)
    # A follow of an entity merged into another follows the survivor (merges move the links).
    for merged_id, survivor_id in Entity.objects.filter(
        merged_into_id__in=list(by_entity)
    ).values_list("pk", "merged_into_id"):
        by_entity[merged_id] = by_entity[survivor_id]

    wanted: dict[int, list[int]] = {}
    # Those subscribed when the issue became public: a reader who confirms later does not get
    # older issues, and a backdated publication (the demo's past issues) goes to nobody.
    active = Subscriber.objects.filter(
        status=SubscriberStatus.ACTIVE, confirmed_at__lte=bulletin.publish_at
    )
    for pk in active.filter(wants_issue=True).values_list("pk", flat=True).iterator():
        wanted[pk] = all_ids
    followed: dict[int, set[int]] = {}
    for subscriber_id, entity_id in (
        Follow.objects.filter(
            subscriber__in=active,
            subscriber__wants_issue=False,
            entity_id__in=list(by_entity),
        )
        .values_list("subscriber_id", "entity_id")
        .iterator()
    ):
        followed.setdefault(subscriber_id, set()).update(by_entity[entity_id])
    for subscriber_id, item_ids in followed.items():
        wanted[subscriber_id] = sorted(item_ids, key=order.__getitem__)
    if not all_ids:
        return Plan(0, 0)
    rows = [
        Delivery(
            subscriber_id=subscriber_id,
            bulletin=bulletin,
            kind=DeliveryKind.ISSUE,
            key=DeliveryKind.ISSUE,
            item_ids=item_ids,
        )
        for subscriber_id, item_ids in wanted.items()
    ]
    before = Delivery.objects.filter(bulletin=bulletin, kind=DeliveryKind.ISSUE).count()
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    after = Delivery.objects.filter(bulletin=bulletin, kind=DeliveryKind.ISSUE).count()
    return Plan(after - before, len(rows))


def plan_correction(correction: Correction) -> int:
    """A notice to everyone who was sent the corrected item (the whole issue: everyone sent)."""
    bulletin = correction.bulletin
    if not bulletin.is_public():
        return 0
    received = Delivery.objects.filter(
        bulletin=bulletin, kind=DeliveryKind.ISSUE, status=DeliveryStatus.SENT
    ).values_list("subscriber_id", "item_ids")
    item_id = correction.item_id
    rows = [
        Delivery(
            subscriber_id=subscriber_id,
            bulletin=bulletin,
            kind=DeliveryKind.CORRECTION,
            correction=correction,
            key=f"correction:{correction.pk}",
            item_ids=[item_id] if item_id else [],
        )
        for subscriber_id, item_ids in received.iterator()
        if item_id is None or item_id in item_ids
    ]
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def plan_retraction(bulletin: Bulletin) -> int:
    """Cancel what was not sent yet; a retraction notice to everyone who was sent the issue."""
    if bulletin.status != BulletinStatus.RETRACTED:
        return 0
    reason = str(_("日报已撤回"))
    bulletin.deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, last_error=reason
    )
    WebhookDelivery.objects.filter(
        Q(key=webhook_key(WebhookEvent.ISSUE_PUBLISHED, bulletin))
        | Q(key__startswith=webhook_key(WebhookEvent.ISSUE_CORRECTED, bulletin) + ":"),
        status=DeliveryStatus.PENDING,
    ).update(status=DeliveryStatus.CANCELLED, last_error=reason)
    received = bulletin.deliveries.filter(
        kind=DeliveryKind.ISSUE, status=DeliveryStatus.SENT
    ).values_list("subscriber_id", flat=True)
    rows = [
        Delivery(
            subscriber_id=subscriber_id,
            bulletin=bulletin,
            kind=DeliveryKind.RETRACTION,
            key=DeliveryKind.RETRACTION,
        )
        for subscriber_id in received.iterator()
    ]
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def webhook_key(event: str, bulletin: Bulletin, *, extra="") -> str:
    key = f"{event}:{bulletin.issued_on:%Y-%m-%d}"
    return f"{key}:{extra}" if extra else key


def plan_webhooks(event: str, key: str, payload: dict) -> int:
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if event in e.events]
    rows = [WebhookDelivery(endpoint=e, event=event, key=key, payload=payload) for e in endpoints]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ----------------------------------------------------------------------------- workflow hooks


# The workflow calls these inside its transaction. The task backend stores tasks as rows in
# the same database, so the task exists exactly when the publication (correction, retraction)
# commits: no publication without its emails, no emails for a rolled-back one.


def on_published(bulletin: Bulletin) -> None:
    """Publish or schedule: the issue is sent when it is public (at ``publish_at``)."""
    from . import tasks

    run_after = bulletin.publish_at if bulletin.publish_at > timezone.now() else None
    task = tasks.dispatch_issue.using(run_after=run_after) if run_after else tasks.dispatch_issue
    task.enqueue(bulletin.pk)


def on_corrected(correction: Correction) -> None:
    from . import tasks

    tasks.dispatch_correction.enqueue(correction.pk)


def on_retracted(bulletin: Bulletin) -> None:
    from . import tasks

    tasks.dispatch_retraction.enqueue(bulletin.pk)


def on_withdrawn(item: Item) -> None:
    """One published item taken down: partners who were told of its issue hear of it."""
    from . import tasks

    tasks.dispatch_withdrawal.enqueue(item.pk)
