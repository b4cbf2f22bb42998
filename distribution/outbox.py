"""Claiming and settling delivery rows: the exactly-once part of sending.

A worker claims a batch in one transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), marking the rows ``sending``
with its id and a lease. Each message is settled (``sent`` or a retry) right after the
transport answers. A worker that dies holds its rows until the lease runs out; then any
worker takes them over. A row is therefore sent again only if the worker died between the
server accepting its message and the row being settled — one message per crash at most.

The task worker (django-tasks-db) never re-runs a task whose process died, so a drain that
claims rows first enqueues a *guard*: the same drain, due when the lease expires. A drain
that leaves rows waiting (a retry, another worker's claim) enqueues one for when they are
due; a guard that finds nothing left stops the chain.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.tasks.base import TaskResultStatus
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


def _next_due(model):
    """When the next row becomes claimable: a retry's time or a held claim's end."""
    return (
        model.objects.filter(status=DeliveryStatus.PENDING).aggregate(at=Min("next_attempt_at"))[
            "at"
        ],
        model.objects.filter(status=DeliveryStatus.SENDING).aggregate(at=Min("claimed_until"))[
            "at"
        ],
    )


def schedule(task, *, at) -> None:
    """Enqueue ``task`` to run at ``at`` unless a waiting run of it comes no later."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).filter(Q(run_after__lte=at) | Q(run_after=get_date_max()))
    if not waiting.exists():
        task.using(run_after=at).enqueue()


def drain(model, send_batch, *, guard) -> int:
    """Send every due row of ``model`` with ``send_batch(ids, worker)``; returns rows handled.

    ``guard`` is the task that picks up, with nobody watching, what is left: the claims of a
    worker that died (when their lease ends) and the retries (when they are due). At most
    one guard waits for a given moment, so retries do not multiply tasks.
    """
    worker = new_worker_id()
    handled = 0
    while ids := claim(model, worker=worker, batch=settings.NEWSROOM_DELIVERY_BATCH):
        if not handled:  # if this worker dies now, its claims are rescued after the lease
            schedule(guard, at=timezone.now() + lease() + dt.timedelta(seconds=1))
        send_batch(ids, worker)
        handled += len(ids)
    due = [at for at in _next_due(model) if at is not None]
    if due:
        schedule(guard, at=max(min(due), timezone.now()) + dt.timedelta(seconds=1))
    return handled
