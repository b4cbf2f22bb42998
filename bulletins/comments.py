"""Editorial comments on items (never public) and the desk: what waits for whom.

``add_comment`` stores a remark (optionally a reply in a thread) and notifies every
colleague it mentions as ``@username``; ``resolve`` / ``reopen`` close and reopen a thread.
``sent_back_to``, ``my_drafts``, ``ready_to_publish`` and ``scheduled`` are the desk's read
rules, shared by the desk page and the dashboard.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import notifications
from .models import (
    LOCKED_BULLETIN_STATUSES,
    Bulletin,
    BulletinStatus,
    Item,
    ItemComment,
    ItemStatus,
    Transition,
)
from .roles import ROLES, TransitionNotAllowed, User, is_staff_member

MENTION_RE = re.compile(r"(?<![\w.])@([\w.+-]+)")
MAX_COMMENT_LENGTH = 4000


def mentioned_users(body: str, *, exclude=None):
    """Active colleagues (any editorial role) named as @username in ``body``."""
    names = {name.rstrip(".") for name in MENTION_RE.findall(body)}
    if not names:
        return []
    users = (
        get_user_model()
        .objects.filter(username__in=names, is_active=True, groups__name__in=ROLES)
        .distinct()
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users)


@transaction.atomic
def add_comment(item: Item, *, by: User, body: str, parent: ItemComment | None = None):
    if not is_staff_member(by):
        raise TransitionNotAllowed(_("只有编辑部成员可以评论。"), code="forbidden")
    body = (body or "").strip()
    if not body:
        raise TransitionNotAllowed(_("评论不能为空。"), code="invalid", field="body")
    if len(body) > MAX_COMMENT_LENGTH:
        raise TransitionNotAllowed(
            _("评论不能超过 %(n)s 个字符。") % {"n": MAX_COMMENT_LENGTH}, code="invalid"
        )
    if parent is not None:
        if parent.item_id != item.pk:
            raise TransitionNotAllowed(_("回复的评论不属于这条条目。"), code="invalid")
        parent = parent.parent or parent  # one level of threads: replies join the root
    comment = ItemComment.objects.create(item=item, parent=parent, author=by, body=body)
    mentioned = mentioned_users(body, exclude=by)
    comment.mentions.set(mentioned)
    url = reverse("admin:bulletins_item_change", args=[item.pk]) + f"#comment-{comment.pk}"
    notifications.notify(
        mentioned,
        _("%(user)s 在评论中提到了您") % {"user": by.get_username()},
        _("%(user)s:%(body)s\n\n条目:%(text)s")
        % {"user": by.get_username(), "body": body, "text": item.body[:120]},
        url=url,
    )
    if parent is not None and parent.author_id not in {by.pk, *[u.pk for u in mentioned]}:
        notifications.notify(
            [parent.author],
            _("%(user)s 回复了您的评论") % {"user": by.get_username()},
            body,
            url=url,
        )
    return comment


@transaction.atomic
def resolve(comment: ItemComment, *, by: User) -> ItemComment:
    if not is_staff_member(by):
        raise TransitionNotAllowed(_("只有编辑部成员可以处理评论。"), code="forbidden")
    root = comment.parent or comment
    root = ItemComment.objects.select_for_update().get(pk=root.pk)
    if root.resolved_at is None:
        root.resolved_at, root.resolved_by = timezone.now(), by
        root.save(update_fields=["resolved_at", "resolved_by"])
    return root


@transaction.atomic
def reopen(comment: ItemComment, *, by: User) -> ItemComment:
    if not is_staff_member(by):
        raise TransitionNotAllowed(_("只有编辑部成员可以处理评论。"), code="forbidden")
    root = ItemComment.objects.select_for_update().get(pk=(comment.parent or comment).pk)
    root.resolved_at, root.resolved_by = None, None
    root.save(update_fields=["resolved_at", "resolved_by"])
    return root


def threads(item: Item) -> list[ItemComment]:
    """The item's threads, oldest first, each with ``thread_replies``; open ones first."""
    rows = list(item.comments.select_related("author", "resolved_by"))
    roots = [c for c in rows if c.parent_id is None]
    for root in roots:
        root.thread_replies = [c for c in rows if c.parent_id == root.pk]
    return sorted(roots, key=lambda c: (c.resolved_at is not None, c.created_at))


# ----------------------------------------------------------------------------- the desk


def _last_comment(action: str):
    return Subquery(
        Transition.objects.filter(item=OuterRef("pk"), action=action)
        .order_by("-at", "-pk")
        .values("comment")[:1]
    )


def _last_by(action: str):
    return Subquery(
        Transition.objects.filter(item=OuterRef("pk"), action=action)
        .order_by("-at", "-pk")
        .values("by__username")[:1]
    )


def sent_back_to(user):
    """Items a reviewer sent back that this user wrote or last edited, with the comment."""
    return (
        Item.objects.filter(status=ItemStatus.CHANGES_REQUESTED)
        .filter(Q(created_by=user) | Q(updated_by=user))
        .exclude(bulletin__status__in=LOCKED_BULLETIN_STATUSES)
        .select_related("bulletin", "section")
        .annotate(
            review_comment=_last_comment("request_changes"),
            reviewed_by=_last_by("request_changes"),
        )
        .order_by("bulletin__issued_on", "section__position", "position")
    )


def my_drafts(user):
    return (
        Item.objects.filter(status=ItemStatus.DRAFT, created_by=user)
        .exclude(bulletin__status__in=LOCKED_BULLETIN_STATUSES)
        .select_related("bulletin", "section")
        .order_by("bulletin__issued_on", "section__position", "position")
    )


def review_comment(item: Item) -> Transition | None:
    """The reviewer's latest request for changes while the item is still sent back."""
    if item.status != ItemStatus.CHANGES_REQUESTED:
        return None
    return (
        item.transitions.filter(action="request_changes")
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )


def ready_to_publish():
    return Bulletin.objects.filter(status=BulletinStatus.APPROVED).order_by("issued_on")


def scheduled():
    return Bulletin.objects.filter(status=BulletinStatus.SCHEDULED).order_by("publish_at")


def open_mentions(user):
    """Unresolved threads that mention this user."""
    open_thread = Q(parent__isnull=True, resolved_at__isnull=True) | Q(
        parent__isnull=False, parent__resolved_at__isnull=True
    )
    return (
        ItemComment.objects.filter(open_thread, mentions=user)
        .select_related("item", "author")
        .order_by("-created_at")
    )
