"""Telling colleagues: a ``Notification`` row per person (counted in the admin header, listed
on the desk) and one e-mail through Django's mailers, sent after the transaction commits so
a mail outage never undoes an editorial action."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


def notify(users: Iterable, subject: str, message: str, *, url: str = "") -> None:
    users = {user.pk: user for user in users if user is not None and user.is_active}
    if not users:
        return
    Notification.objects.bulk_create(
        Notification(recipient_id=pk, subject=subject[:200], body=message, url=url[:300])
        for pk in users
    )
    emails = sorted({user.email for user in users.values() if user.email})
    if not emails:
        return
    body = f"{message}\n\n{url}" if url else message

    def send():
        try:
            send_mail(subject, body, None, emails)
        except Exception:  # a mail outage must not undo an editorial action
            logger.exception("notification mail failed: %s", subject)

    transaction.on_commit(send)


def unread(user):
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def mark_read(user, ids=None) -> int:
    rows = unread(user)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
