"""Claiming and settling delivery rows: the exactly-once part of sending.

A worker claims a batch in one transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), marking the rows ``sending``
with its id and a lease. Each message is settled (``sent`` or a retry) right after the
transport answers. A worker that dies holds its rows until the lease runs out; then any
worker takes them over. A row is therefore sent again only if the worker died between the
server accepting its message and the row being settled — one message per crash at most.

The task worker (django-tasks-db) never re-runs a task whose process died, so every drain
first enqueues a *guard*: the same drain, due when the lease expires. A guard that finds
nothing outstanding stops the chain.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from .models import DeliveryStatus


def new_worker_id() -> str:
    return uuid.uuid4().hex


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NEWSROOM_DELIVERY_LEASE_SECONDS)


def claimable(model, *, now):
    return model.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)
    )


def outstanding(model):
    return model.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])


def claim(model, *, worker: str, batch: int) -> list[int]:
    """Take up to ``batch`` due rows for ``worker``; nobody else gets them while the lease lasts."""
    with transaction.atomic():
        now = timezone.now()
        ids = list(
            claimable(model, now=now)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            model.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SENDING,
                claimed_by=worker,
                claimed_until=now + lease(),
                attempts=F("attempts") + 1,
            )
    return ids


def settle_sent(model, pk: int, *, worker: str, **fields) -> None:
    model.objects.filter(pk=pk, claimed_by=worker, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, claimed_until=None, last_error="", **fields
    )


def settle_cancelled(model, pk: int, *, worker: str, reason: str) -> None:
    model.objects.filter(pk=pk, claimed_by=worker, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.CANCELLED, claimed_until=None, last_error=reason
    )


def settle_failed(model, row, *, worker: str, reason: str, **fields) -> None:
    """Retry later with exponential backoff, or record the failure after the last attempt."""
    reason = reason[:2000]
    if row.attempts >= settings.NEWSROOM_DELIVERY_MAX_ATTEMPTS:
        status, next_at = DeliveryStatus.FAILED, row.next_attempt_at
    else:
        delay = settings.NEWSROOM_DELIVERY_RETRY_SECONDS * 2 ** (row.attempts - 1)
        status, next_at = DeliveryStatus.PENDING, timezone.now() + dt.timedelta(seconds=delay)
    model.objects.filter(pk=row.pk, claimed_by=worker, status=DeliveryStatus.SENDING).update(
        status=status, next_attempt_at=next_at, claimed_until=None, last_error=reason, **fields
    )


def drain(model, send_batch, *, guard) -> int:
    """Send every due row of ``model`` with ``send_batch(ids, worker)``; returns rows handled.

    ``guard`` is the task to enqueue so that work left by a dead worker, or waiting for a
    retry, is picked up again without anyone watching.
    """
    if not outstanding(model).exists():
        return 0
    guard.using(run_after=timezone.now() + lease() + dt.timedelta(seconds=1)).enqueue()
    worker = new_worker_id()
    handled = 0
    while ids := claim(model, worker=worker, batch=settings.NEWSROOM_DELIVERY_BATCH):
        send_batch(ids, worker)
        handled += len(ids)
    retry_at = (
        model.objects.filter(status=DeliveryStatus.PENDING).aggregate(at=Min("next_attempt_at"))
    )["at"]
    if retry_at is not None:
        guard.using(run_after=max(retry_at, timezone.now())).enqueue()
    return handled
