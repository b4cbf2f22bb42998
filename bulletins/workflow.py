"""The editorial workflow: the only code that changes a status.

Items: ``draft → submitted → approved``; ``submitted → changes_requested → submitted``;
an edit of an approved item sends it back to ``submitted``; any unpublished item may be
``spiked`` (kept, never published) and brought back as a ``draft``.

Bulletins: ``draft → in_review → approved`` (by itself, when its last non-spiked item is
approved; an item sent back returns it to ``in_review``) ``→ scheduled / published``;
then ``corrected`` (a visible, dated note; the old text kept as a revision) or ``retracted``.
A scheduled issue is public from its time on without any worker (``is_public``); the first
admin request after that time records it (``record_went_live``: status ``published`` and a
``went_live`` log entry dated at the scheduled time), so no cron is needed.
One published item may be ``withdrawn`` by the chief editor (``withdraw_item``): it leaves
every public surface, a dated notice with the reason stands in its place.

Every function re-reads its rows with ``select_for_update()`` inside ``transaction.atomic``,
checks its guard, writes with ``update_fields`` and logs a ``Transition``. A refused action
raises ``TransitionNotAllowed`` (``code`` says why: ``forbidden``, ``invalid_state``,
``invalid``, ``conflict``); the admin shows its message, the API maps it to 403/409/400.

Who may do what is ``bulletins.roles`` (``can``, ``require``, ``ACTIONS``, re-exported here);
every status write goes through ``_transition`` (status, version, save, log in one step); the
pre-publish checks are ``bulletins.checks`` (``prepublish_checks`` re-exported here).
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from distribution import services as distribution

from . import limits, notifications, trackers
from .checks import Check, CheckReport, prepublish_checks
from .models import (
    LOCKED_BULLETIN_STATUSES,
    PUBLIC_BULLETIN_STATUSES,
    Bulletin,
    BulletinStatus,
    Correction,
    Item,
    ItemRevision,
    ItemStatus,
    Section,
    Transition,
)
from .readmodels import visibility_changed
from .roles import (
    ACTION_LABELS,
    ACTIONS,
    CHIEF,
    EDITOR,
    REVIEWER,
    TransitionNotAllowed,
    User,
    can,
    require,
)
from .search import index_items

# Callers keep their shape (``workflow.can``, ``workflow.TransitionNotAllowed`` …).
__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "Check",
    "CheckReport",
    "TransitionNotAllowed",
    "can",
    "check_version",
    "prepublish_checks",
    "require",
]

logger = logging.getLogger(__name__)


# The item fields a tracker row is written from (``trackers.row_for``).
TRACKER_FIELDS = {"event_kind", "financing_round", "facts"}

# Log entries that change what a reader of the item would see. Whoever made one since the
# item's last approval co-wrote the content under review (four eyes on content, not on the
# last editor): "create", "edit" (an edit that sent an approved item back), "revise" (an edit
# of a reader-visible field that left the status alone) and "link" (a public entity link).
CONTENT_ACTIONS = ("create", "edit", "revise", "link")


def contributors(item: Item) -> set[int]:
    """Ids of everyone who wrote part of the item's content since its last approval — its
    creator and every editor, as long as it was never approved."""
    prefetched = getattr(item, "content_log", None)  # see ``content_log_prefetch``
    if prefetched is not None:
        last = max((t.pk for t in prefetched if t.action == "approve"), default=None)
        people = {
            t.by_id
            for t in prefetched
            if t.action in CONTENT_ACTIONS and (last is None or t.pk > last)
        }
    else:
        log = Transition.objects.filter(item_id=item.pk)
        last = log.filter(action="approve").order_by("-pk").values_list("pk", flat=True).first()
        since = log.filter(action__in=CONTENT_ACTIONS).exclude(by=None)
        if last is not None:
            since = since.filter(pk__gt=last)
        people = set(since.values_list("by_id", flat=True))
    if last is None:
        people.add(item.created_by_id)
    people.add(item.updated_by_id)
    people.discard(None)
    return people


def content_log_prefetch():
    """``prefetch_related`` this for a list of items whose ``can_decide`` is asked: their
    ``contributors`` then cost no query each."""
    from django.db.models import Prefetch

    return Prefetch(
        "transitions",
        queryset=Transition.objects.filter(action__in=(*CONTENT_ACTIONS, "approve")).only(
            "pk", "item_id", "action", "by_id"
        ),
        to_attr="content_log",
    )


def is_own_work(item: Item, user) -> bool:
    return user.pk is not None and user.pk in contributors(item)


def can_decide(user, item: Item) -> bool:
    """May this user approve or send back this item now? (role, status and four eyes)"""
    return (
        can(user, "approve")
        and item.status == ItemStatus.SUBMITTED
        and not is_own_work(item, user)
        and item.bulletin.status not in LOCKED_BULLETIN_STATUSES
    )


# ----------------------------------------------------------------------------- helpers


def _log(bulletin, *, action, from_status, to_status, by: User, item=None, comment="", at=None):
    return Transition.objects.create(
        bulletin_id=bulletin.pk if bulletin is not None else item.bulletin_id,
        item=item,
        action=action,
        from_status=from_status or "",
        to_status=to_status,
        by=by,
        comment=comment,
        at=at or timezone.now(),
    )


def _transition(
    obj: Bulletin | Item,
    to_status: str,
    *,
    action: str,
    by: User,
    comment: str = "",
    at: dt.datetime | None = None,
    fields: tuple[str, ...] = (),
    item: Item | None = None,
) -> Bulletin | Item:
    """Write a status: set it, bump the version, save with ``update_fields``, log it.

    The one place a status is written (the caller holds the row lock and has checked the
    guard). ``fields`` are other columns the caller changed on ``obj`` in the same step;
    ``item`` names the item a bulletin-level entry is about (a correction of one item).
    """
    old = obj.status
    obj.status = to_status
    obj.version += 1
    obj.save(update_fields=["status", *fields, "version", "updated_at"])
    is_item = isinstance(obj, Item)
    _log(
        None if is_item else obj,
        item=obj if is_item else item,
        action=action,
        from_status=old,
        to_status=to_status,
        by=by,
        comment=comment,
        at=at,
    )
    return obj


def _locked_item(item: Item) -> Item:
    # The issue first, then the item: the order every bulletin-level action takes, so two
    # concurrent actions cannot deadlock, and a publication cannot slip in between an item's
    # "is the issue still editable?" check and its write.
    list(Bulletin.objects.select_for_update().filter(pk=item.bulletin_id).values_list("pk"))
    return Item.objects.select_for_update().select_related("bulletin", "section").get(pk=item.pk)


def _locked_bulletin(bulletin: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update().get(pk=bulletin.pk)


def _ensure_editable(bulletin: Bulletin) -> None:
    if bulletin.status in LOCKED_BULLETIN_STATUSES:
        raise TransitionNotAllowed(
            _("%(date)s 的日报已是“%(status)s”状态,不能再直接修改;请使用“更正”。")
            % {"date": bulletin.issued_on, "status": bulletin.get_status_display()}
        )


def _sync_bulletin(bulletin: Bulletin, *, by: User, comment="") -> Bulletin:
    """Move an in-review bulletin to approved when all its live items are, and back."""
    bulletin = _locked_bulletin(bulletin)
    if bulletin.status not in (BulletinStatus.IN_REVIEW, BulletinStatus.APPROVED):
        return bulletin
    live = bulletin.items.exclude(status=ItemStatus.SPIKED)
    all_approved = live.exists() and not live.exclude(status=ItemStatus.APPROVED).exists()
    target = BulletinStatus.APPROVED if all_approved else BulletinStatus.IN_REVIEW
    if target != bulletin.status:
        _transition(bulletin, target, action="auto", by=by, comment=comment)
        if target == BulletinStatus.APPROVED:
            _notify(
                _("%(date)s 日报已全部审核通过,可以发布") % {"date": bulletin.issued_on},
                _("%(date)s 日报的全部条目已审核通过,请在日报页发布或定时发布。")
                % {"date": bulletin.issued_on},
                _role_users(CHIEF),
                url=_admin_url(bulletin),
            )
    return bulletin


def _notify(subject: str, message: str, users, *, url: str = "") -> None:
    """A notification (admin header, desk) and an e-mail after commit; see notifications."""
    notifications.notify(users, subject, message, url=url)


def _role_users(role: str, *, exclude=None):
    users = get_user_model().objects.filter(groups__name=role, is_active=True)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users


def _reviewer_users(*, exclude=None):
    return _role_users(REVIEWER, exclude=exclude)


def _admin_url(obj) -> str:
    return reverse(f"admin:bulletins_{obj._meta.model_name}_change", args=[obj.pk])


# ----------------------------------------------------------------------------- bulletins


@transaction.atomic
def create_bulletin(*, issued_on: dt.date, by: User, dateline: str = "") -> Bulletin:
    require(by, "edit")
    if Bulletin.objects.filter(issued_on=issued_on).exists():
        raise TransitionNotAllowed(
            _("%(date)s 已经有一期日报。") % {"date": issued_on}, code="conflict"
        )
    bulletin = Bulletin.objects.create(
        issued_on=issued_on, dateline=dateline, created_by=by, updated_by=by
    )
    _log(bulletin, action="create", from_status="", to_status=bulletin.status, by=by)
    return bulletin


@transaction.atomic
def edit_bulletin(
    bulletin: Bulletin, *, by: User, expected_version: int, dateline: str
) -> Bulletin:
    require(by, "edit")
    current = _locked_bulletin(bulletin)
    check_version(current, expected_version)
    _ensure_editable(current)
    current.dateline = dateline
    current.updated_by = by
    current.version += 1
    current.save(update_fields=["dateline", "updated_by", "version", "updated_at"])
    return current


@transaction.atomic
def delete_draft_bulletin(bulletin: Bulletin, *, by: User) -> None:
    """Remove a bulletin that never left draft (used when an import replaces it)."""
    require(by, "edit")
    current = _locked_bulletin(bulletin)
    if current.status != BulletinStatus.DRAFT:
        raise TransitionNotAllowed(
            _("只能替换仍为草稿的日报;%(date)s 的日报状态为“%(status)s”。")
            % {"date": current.issued_on, "status": current.get_status_display()}
        )
    current.delete()


@transaction.atomic
def submit_bulletin(bulletin: Bulletin, *, by: User, comment: str = "") -> Bulletin:
    """Submit every draft (or sent-back) item and put the issue in review."""
    require(by, "submit")
    current = _locked_bulletin(bulletin)
    if current.status not in (BulletinStatus.DRAFT, BulletinStatus.IN_REVIEW):
        raise TransitionNotAllowed(
            _("只有草稿或审核中的日报可以提交;当前状态为“%(status)s”。")
            % {"status": current.get_status_display()}
        )
    live = current.items.exclude(status=ItemStatus.SPIKED)
    if not live.exists():
        raise TransitionNotAllowed(_("这期日报没有任何条目,不能提交审核。"), code="invalid")
    if any(not body.strip() for body in live.values_list("body", flat=True)):
        raise TransitionNotAllowed(_("有条目没有正文,不能提交审核。"), code="invalid")
    now = timezone.now()
    pending = list(
        live.select_for_update().filter(status__in=[ItemStatus.DRAFT, ItemStatus.CHANGES_REQUESTED])
    )
    for item in pending:
        _transition(item, ItemStatus.SUBMITTED, action="submit", by=by, at=now)
    if current.status == BulletinStatus.DRAFT:
        _transition(
            current, BulletinStatus.IN_REVIEW, action="submit", by=by, comment=comment, at=now
        )
    if pending:
        _notify(
            _("%(date)s 日报有 %(n)s 条待审核") % {"date": current.issued_on, "n": len(pending)},
            _("%(user)s 提交了 %(n)s 条条目,请在审核队列中处理。")
            % {"user": by.get_username(), "n": len(pending)},
            _reviewer_users(exclude=by),
            url=reverse("admin:bulletins_item_review"),
        )
    return _sync_bulletin(current, by=by)


@transaction.atomic
def publish(bulletin: Bulletin, *, by: User, at: dt.datetime | None = None) -> Bulletin:
    """Publish now, or schedule when ``at`` is in the future. All items go public together."""
    require(by, "publish")
    current = _locked_bulletin(bulletin)
    now = timezone.now()
    if current.status != BulletinStatus.APPROVED:
        raise TransitionNotAllowed(
            _("只有全部条目审核通过的日报才能发布;当前状态为“%(status)s”。")
            % {"status": current.get_status_display()}
        )
    report = prepublish_checks(current)
    if not report.ok:
        raise TransitionNotAllowed(
            _("发布前检查未通过:%(problems)s")
            % {"problems": ";".join(c.message for c in report.blocking)},
            code="invalid",
            errors=[c.message for c in report.blocking],
        )
    at = at or now
    target = BulletinStatus.SCHEDULED if at > now else BulletinStatus.PUBLISHED
    current.publish_at = at
    current.updated_by = by
    current = _transition(
        current,
        target,
        action="schedule" if target == BulletinStatus.SCHEDULED else "publish",
        by=by,
        comment=timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
        fields=("publish_at", "updated_by"),
    )
    visibility_changed(bulletins=[current])  # counts show from ``at`` on, with no cron
    distribution.on_published(current)  # a task row in this transaction: sent iff committed
    if target == BulletinStatus.PUBLISHED:
        _notify(
            _("%(date)s 日报已上线") % {"date": current.issued_on},
            _("%(user)s 发布了 %(date)s 日报。")
            % {"user": by.get_username(), "date": current.issued_on},
            _role_users(EDITOR),
            url=_admin_url(current),
        )
    return current


def schedule(bulletin: Bulletin, *, by: User, at: dt.datetime) -> Bulletin:
    require(by, "schedule")
    if at <= timezone.now():
        raise TransitionNotAllowed(_("定时发布的时间必须在将来。"), code="invalid")
    return publish(bulletin, by=by, at=at)


@transaction.atomic
def unschedule(bulletin: Bulletin, *, by: User) -> Bulletin:
    require(by, "unschedule")
    current = _locked_bulletin(bulletin)
    if current.status != BulletinStatus.SCHEDULED or current.is_public():
        raise TransitionNotAllowed(_("只有尚未到时间的定时发布可以取消。"))
    current.publish_at = None
    _transition(
        current, BulletinStatus.APPROVED, action="unschedule", by=by, fields=("publish_at",)
    )
    visibility_changed(bulletins=[current])
    return current


@transaction.atomic
def correct(
    bulletin: Bulletin,
    *,
    by: User,
    note: str,
    item: Item | None = None,
    body: str | None = None,
    expected_version: int | None = None,
) -> Correction:
    """Correct a published issue: a visible dated note, optionally new text for one item."""
    require(by, "correct")
    current = _locked_bulletin(bulletin)
    if not current.is_public():
        raise TransitionNotAllowed(_("只有已发布的日报可以更正。"))
    note = correction_note(note)
    if not note:
        raise TransitionNotAllowed(_("更正必须附说明。"), code="invalid")
    if item is not None:
        locked = _locked_item(item)
        if locked.bulletin_id != current.pk:
            raise TransitionNotAllowed(_("该条目不属于这期日报。"), code="invalid")
        if expected_version is not None:
            check_version(locked, expected_version)
        if body is not None and body != locked.body:
            _check_text(body=body)
            _keep_revision(locked, by=by, note=_("更正前"))
            locked.body = body
            locked.updated_by = by
            locked.version += 1
            locked.save(update_fields=["body", "updated_by", "version", "updated_at"])
            _keep_revision(locked, by=by, note=_("更正"))
            index_items([locked.pk])  # the corrected text is searchable at once
            visibility_changed(items=[locked])  # and shown at once
    correction = Correction.objects.create(bulletin=current, item=item, note=note, created_by=by)
    _transition(current, BulletinStatus.CORRECTED, action="correct", by=by, comment=note, item=item)
    distribution.on_corrected(correction)
    return correction


# Readers see "更正(date):" before every note; an editor who starts with it too would print
# it twice ("更正(…):更正:…").
CORRECTION_PREFIX_RE = re.compile(r"^\s*[【\[(（]?\s*更正(?:说明)?\s*[】\])）]?\s*[:：,，、]?\s*")


def correction_note(note: str) -> str:
    """The note as readers get it: trimmed, without a leading 更正: of its own (a note that
    is nothing but the word stays as written)."""
    note = (note or "").strip()
    return CORRECTION_PREFIX_RE.sub("", note, count=1).strip() or note


@transaction.atomic
def retract(bulletin: Bulletin, *, by: User, comment: str) -> Bulletin:
    require(by, "retract")
    current = _locked_bulletin(bulletin)
    if current.status not in PUBLIC_BULLETIN_STATUSES:
        raise TransitionNotAllowed(_("只有已发布的日报可以撤回。"))
    if not comment.strip():
        raise TransitionNotAllowed(_("撤回必须说明原因。"), code="invalid")
    now = timezone.now()
    current.retraction_note = comment.strip()
    current.retracted_at = now
    if current.publish_at is None or current.publish_at > now:
        current.publish_at = now  # a retracted schedule never showed text; its notice may show
    current = _transition(
        current,
        BulletinStatus.RETRACTED,
        action="retract",
        by=by,
        comment=comment.strip(),
        fields=("retraction_note", "retracted_at", "publish_at"),
    )
    visibility_changed(bulletins=[current])
    distribution.on_retracted(current)
    return current


def _touch(bulletin: Bulletin) -> None:
    """Mark what readers see of the issue as changed (the page cache keys on the bulletins'
    ``updated_at``) without bumping its version: an open form of the issue stays valid."""
    Bulletin.objects.filter(pk=bulletin.pk).update(updated_at=timezone.now())


@transaction.atomic
def withdraw_item(item: Item, *, by: User, note: str) -> Item:
    """Take one published item down, with a public dated notice, leaving the issue public.

    Like a retraction for one item: its text leaves the issue page, its own page (a 410
    notice), search, feeds, sitemaps, entity pages and the API; the text stays in the admin.
    """
    require(by, "withdraw")
    note = (note or "").strip()
    if not note:
        raise TransitionNotAllowed(_("撤下条目必须说明原因。"), code="invalid", field="note")
    current = _locked_item(item)
    if not current.bulletin.is_public():
        raise TransitionNotAllowed(_("只有已发布日报中的条目可以撤下;未发布的条目请弃用。"))
    if current.status != ItemStatus.APPROVED:
        raise TransitionNotAllowed(
            _("只有已发布的条目可以撤下;这条的状态是“%(status)s”。")
            % {"status": current.get_status_display()}
        )
    current.withdrawal_note = note
    current.withdrawn_at = timezone.now()
    _transition(
        current,
        ItemStatus.WITHDRAWN,
        action="withdraw",
        by=by,
        comment=note,
        at=current.withdrawn_at,
        fields=("withdrawal_note", "withdrawn_at"),
    )
    _touch(current.bulletin)
    visibility_changed(items=[current])  # entity counts, co-mentions: without it at once
    distribution.on_withdrawn(current)
    return current


def record_went_live(*, now: dt.datetime | None = None) -> list[Bulletin]:
    """Record every scheduled issue whose time has passed as ``published``, with a
    ``went_live`` entry dated at its scheduled time (by nobody: no one pressed a button).

    Readers never wait for this — ``is_public`` already derives it from ``publish_at`` — it
    only makes the admin, the API and the log say what happened. Called lazily by the admin
    (``bulletins.middleware``); idempotent and safe when two requests race (row lock, then
    the status is checked again).
    """
    now = now or timezone.now()
    due = Bulletin.objects.filter(status=BulletinStatus.SCHEDULED, publish_at__lte=now)
    recorded = []
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            current = Bulletin.objects.select_for_update().get(pk=pk)
            if current.status != BulletinStatus.SCHEDULED or current.publish_at > now:
                continue
            recorded.append(
                _transition(
                    current,
                    BulletinStatus.PUBLISHED,
                    action="went_live",
                    by=None,
                    comment=timezone.localtime(current.publish_at).strftime("%Y-%m-%d %H:%M"),
                    at=current.publish_at,
                )
            )
    if recorded:
        _notify_went_live(recorded)
    return recorded


def _notify_went_live(bulletins: list[Bulletin]) -> None:
    for bulletin in bulletins:
        _notify(
            _("%(date)s 日报已上线") % {"date": bulletin.issued_on},
            _("定时发布的 %(date)s 日报已于 %(at)s 上线。")
            % {
                "date": bulletin.issued_on,
                "at": timezone.localtime(bulletin.publish_at).strftime("%Y-%m-%d %H:%M"),
            },
            _role_users(EDITOR),
            url=_admin_url(bulletin),
        )


# ----------------------------------------------------------------------------- items

TEXT_FIELDS = ("body", "headline")
# What a reader sees of an item (its public entity links aside, see ``content_changed``):
# a change to any of them sends an approved item back to review. Section, position and the
# headline's rank are layout: they keep the approval.
READER_FIELDS = (*TEXT_FIELDS, "facts", "financing_round", "event_kind", "sources", "image")
EDITABLE_FIELDS = (
    "body",
    "headline",
    "headline_rank",
    "section",
    "position",
    "event_kind",
    "financing_round",
    "facts",
    "sources",
    "image",
)


def check_version(current: Bulletin | Item, expected_version: int | None) -> None:
    """Refuse (``conflict``) unless the row is still at the version the editor opened.

    Public: the admin's forms check it before their own validation, so a stale form comes
    back with both texts instead of a half-applied save.
    """
    if expected_version is None or int(expected_version) != current.version:
        raise TransitionNotAllowed(
            _(
                "这条内容已被 %(user)s 在您打开之后修改过(当前版本 %(current)s,您编辑的是版本 %(mine)s)。"
                "您的修改没有保存,请对照最新内容后重新提交。"
            )
            % {
                "user": current.updated_by.get_username() if current.updated_by else "?",
                "current": current.version,
                "mine": expected_version,
            },
            code="conflict",
            current=current,
        )


def _keep_revision(item: Item, *, by: User, note: str = "") -> ItemRevision:
    revision, _created = ItemRevision.objects.update_or_create(
        item=item,
        version=item.version,
        defaults={"body": item.body, "headline": item.headline, "by": by, "note": note},
    )
    return revision


def _next_position(bulletin: Bulletin, section: Section) -> int:
    top = bulletin.items.filter(section=section).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


@transaction.atomic
def add_item(
    bulletin: Bulletin,
    *,
    by: User,
    section: Section,
    body: str = "",
    headline: str = "",
    headline_rank: int | None = None,
    position: int | None = None,
    event_kind: str = "",
    financing_round: str = "",
    facts: dict | None = None,
    sources: list | None = None,
) -> Item:
    """Add a draft item to an unpublished issue; drafts may be incomplete."""
    require(by, "edit")
    current = _locked_bulletin(bulletin)
    _ensure_editable(current)
    _check_text(body=body, headline=headline)
    _check_rank(current, headline_rank)
    if position is None:
        position = _next_position(current, section)
    elif current.items.filter(section=section, position=position).exists():
        _shift_positions(current, section, from_position=position)
    item = Item.objects.create(
        bulletin=current,
        section=section,
        position=position,
        body=body,
        headline=headline,
        headline_rank=headline_rank,
        event_kind=event_kind,
        financing_round=financing_round,
        facts=facts or {},
        sources=sources or [],
        created_by=by,
        updated_by=by,
    )
    _keep_revision(item, by=by, note=_("创建"))
    _log(current, item=item, action="create", from_status="", to_status=item.status, by=by)
    _sync_bulletin(current, by=by)
    index_items([item.pk])
    trackers.index_items([item.pk])
    return item


@transaction.atomic
def add_items(bulletin: Bulletin, *, by, items: list[dict]) -> list[Item]:
    """``add_item`` for many items at once (an import): the same checks, revisions and log
    entries, written in bulk so that the transaction stays short. Each dict holds
    ``add_item``'s keyword arguments, ``position`` included."""
    require(by, "edit")
    current = _locked_bulletin(bulletin)
    _ensure_editable(current)
    ranks = set(current.items.exclude(headline_rank=None).values_list("headline_rank", flat=True))
    places = set(current.items.values_list("section_id", "position"))
    rows = []
    for fields in items:
        _check_text(body=fields.get("body", ""), headline=fields.get("headline", ""))
        rank = fields.get("headline_rank")
        if rank is not None:
            if rank in ranks:
                raise TransitionNotAllowed(
                    _("标题排序 %(rank)s 已被这期日报的另一条占用。") % {"rank": rank},
                    code="invalid",
                )
            ranks.add(rank)
        place = (fields["section"].pk, fields["position"])
        if place in places:
            raise TransitionNotAllowed(
                _("栏目“%(section)s”中的位置 %(position)s 已被占用。")
                % {"section": fields["section"].name, "position": fields["position"]},
                code="invalid",
            )
        places.add(place)
        rows.append(
            Item(
                bulletin=current,
                section=fields["section"],
                position=fields["position"],
                body=fields.get("body", ""),
                headline=fields.get("headline", ""),
                headline_rank=rank,
                event_kind=fields.get("event_kind", ""),
                financing_round=fields.get("financing_round", ""),
                facts=fields.get("facts") or {},
                sources=fields.get("sources") or [],
                created_by=by,
                updated_by=by,
            )
        )
    created = Item.objects.bulk_create(rows)
    now = timezone.now()
    ItemRevision.objects.bulk_create(
        ItemRevision(
            item=item, version=item.version, body=item.body, headline=item.headline, by=by,
            note=_("创建"), at=now,
        )
        for item in created
    )  # fmt: skip
    Transition.objects.bulk_create(
        Transition(
            bulletin=current, item=item, action="create", from_status="",
            to_status=item.status, by=by, at=now,
        )
        for item in created
    )  # fmt: skip
    _sync_bulletin(current, by=by)
    index_items([item.pk for item in created])
    trackers.index_items([item.pk for item in created])  # an import's deals and approvals
    return created


def _check_paragraph(body: str | None) -> None:
    """An item is one paragraph: a line break would split it into two items on export."""
    if body and ("\n" in body.strip() or "\r" in body.strip()):
        raise TransitionNotAllowed(
            _("一条内容只能是一个段落:正文中有换行,请删除换行或拆成两条。"), code="invalid"
        )


def _check_text(**fields) -> None:
    """The limits every write obeys, imports included (bulletins.limits): length, and no
    control characters (named with their position)."""
    if "body" in fields:
        _check_paragraph(fields["body"])
    maxima = {"body": limits.MAX_ITEM_CHARS, "headline": limits.MAX_HEADLINE_CHARS}
    labels = {"body": _("正文"), "headline": _("标题")}
    for name, value in fields.items():
        value = value or ""
        if len(value) > maxima[name]:
            raise TransitionNotAllowed(
                _("%(field)s有 %(count)s 个字符,超过上限 %(limit)s。")
                % {"field": labels[name], "count": len(value), "limit": maxima[name]},
                code="invalid",
            )
        found = limits.first_control_character(value)
        if found:
            raise TransitionNotAllowed(
                _("%(field)s第 %(column)s 个字符是控制字符(%(char)s),无法保存;请删除。")
                % {
                    "field": labels[name],
                    "column": found[1],
                    "char": limits.describe_character(found[2]),
                },
                code="invalid",
            )


def _check_rank(bulletin: Bulletin, rank: int | None, *, exclude_pk=None) -> None:
    """A clear refusal instead of the database's unique-constraint error."""
    if rank is None:
        return
    if bulletin.items.filter(headline_rank=rank).exclude(pk=exclude_pk).exists():
        raise TransitionNotAllowed(
            _("标题排序 %(rank)s 已被这期日报的另一条占用。") % {"rank": rank},
            code="invalid",
            field="headline_rank",
        )


def _shift_positions(bulletin, section, *, from_position):
    # Two passes keep the unique (bulletin, section, position) constraint true at every step.
    rows = list(
        bulletin.items.filter(section=section, position__gte=from_position)
        .order_by("-position")
        .values_list("pk", "position")
    )
    for pk, pos in rows:
        Item.objects.filter(pk=pk).update(position=pos + 100_000)
    for pk, pos in rows:
        Item.objects.filter(pk=pk).update(position=pos + 1)


def _plain(value):
    """A field value as compared for merging: a row by its key, blanks alike."""
    if hasattr(value, "_meta"):
        return value.pk
    return None if value in ("", None) else value


def merge_fields(base: dict, mine: dict, theirs) -> tuple[dict, list[str]]:
    """Three-way merge of one editor's field edits with what another saved meanwhile.

    ``base`` holds the values the editor loaded, ``mine`` what they submit, ``theirs`` the
    row as saved now. A field only I changed takes my value; a field only they changed keeps
    theirs; a field we both changed to different values is a conflict. Returns the changes
    to apply and the conflicting field names (in ``mine``'s order).
    """
    changes, conflicts = {}, []
    for name, value in mine.items():
        if name not in base:  # no record of what was loaded (an upload): mine is a change
            changes[name] = value
            continue
        loaded, now = _plain(base[name]), _plain(getattr(theirs, name))
        if _plain(value) == loaded or _plain(value) == now:
            continue  # I did not change it, or we agree
        if now == loaded:
            changes[name] = value
            continue
        merged = merge_text(loaded, value, now) if name in TEXT_FIELDS else None
        if merged is not None:
            changes[name] = merged  # we both edited the text, in different places
        else:
            conflicts.append(name)
    return changes, conflicts


def _edits(base: str, text: str) -> list[tuple[int, int, str]]:
    """The changes from ``base`` to ``text`` as (start, end, replacement) ranges of base."""
    matcher = difflib.SequenceMatcher(None, base, text, autojunk=False)
    return [(i1, i2, text[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


def merge_text(base, mine, theirs) -> str | None:
    """Both sides' edits of one text when they touch different places of it (at least two
    unchanged characters apart, so "2.8亿元" edited on both sides stays a conflict), else
    None: a conflict for the editor to settle."""
    if not all(isinstance(t, str) for t in (base, mine, theirs)):
        return None
    edits = sorted(_edits(base, mine) + _edits(base, theirs))
    for (_s1, e1, _r1), (s2, _e2, _r2) in zip(edits, edits[1:], strict=False):
        if s2 < e1 + 2:  # overlapping or close: which one is right is the editor's call
            return None
    out, at = [], 0
    for start, end, replacement in edits:
        out += [base[at:start], replacement]
        at = end
    return "".join(out) + base[at:]


@transaction.atomic
def edit_item(
    item: Item,
    *,
    by: User,
    expected_version: int,
    base: dict | None = None,
    overwrite: bool = False,
    **changes,
) -> Item:
    """Save an editor's changes if nobody saved in between; text changes become revisions.

    An edit of any reader-visible field (``READER_FIELDS``) of an approved item sends it back
    to review, and makes its author a contributor who may not approve it.

    With ``base`` (the values the editor loaded) a save over a newer version merges: edits
    of different fields are combined and logged (``merge``); edits of the same field are a
    ``conflict`` whose ``errors`` name the fields. ``overwrite=True`` settles those fields
    with this editor's values — deliberately: ``expected_version`` must then be the version
    the editor was shown on the conflict screen, and the overwrite is logged.
    """
    require(by, "edit")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TransitionNotAllowed(
            _("不能修改这些字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="invalid",
        )
    current = _locked_item(item)
    merged_over, overwritten = None, []
    if base is None or overwrite:
        check_version(current, expected_version)
    if base is not None:
        stale = expected_version is None or int(expected_version) != current.version
        mine = changes
        changes, conflicts = merge_fields(base, mine, current)
        if conflicts and not overwrite:
            raise TransitionNotAllowed(
                _("%(user)s 在您打开之后也修改了:%(fields)s。请对照双方内容,选择保留哪一份。")
                % {
                    "user": _editor_name(current),
                    "fields": "、".join(
                        str(Item._meta.get_field(f).verbose_name) for f in conflicts
                    ),
                },
                code="conflict",
                current=current,
                errors=conflicts,
            )
        changes.update({name: mine[name] for name in conflicts})
        overwritten = conflicts
        if stale and not overwrite:
            merged_over = (_editor_name(current), current.version)
    _ensure_editable(current.bulletin)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    text_changed = any(name in TEXT_FIELDS for name in changed)
    if text_changed and not current.revisions.filter(version=current.version).exists():
        _keep_revision(current, by=current.updated_by)
    _check_text(**{name: changes[name] for name in ("body", "headline") if name in changed})
    if "headline_rank" in changed:
        _check_rank(current.bulletin, changes["headline_rank"], exclude_pk=current.pk)
    if "section" in changed or "position" in changed:
        section = changes.get("section", current.section)
        position = changes.get("position", current.position)
        clash = current.bulletin.items.filter(section=section, position=position).exclude(
            pk=current.pk
        )
        if clash.exists():
            _shift_positions(current.bulletin, section, from_position=position)
    for name in changed:
        setattr(current, name, changes[name])
    current.updated_by = by
    fields = (*changed, "updated_by")
    visible = [name for name in changed if name in READER_FIELDS]
    requeued = bool(visible) and current.status == ItemStatus.APPROVED
    if requeued:
        _transition(
            current,
            ItemStatus.SUBMITTED,
            action="edit",
            by=by,
            comment=_("已审核的条目被修改,重新送审。"),
            fields=fields,
        )
    else:
        current.version += 1
        current.save(update_fields=[*fields, "version", "updated_at"])
        if visible:  # who wrote what: the four-eyes rule reads it (``contributors``)
            _log(
                None,
                item=current,
                action="revise",
                from_status=current.status,
                to_status=current.status,
                by=by,
                comment=", ".join(visible),
            )
    if text_changed:
        _keep_revision(current, by=by)
        index_items([current.pk])
    if TRACKER_FIELDS & set(changed):  # an editor's corrected facts reach the trackers at once
        trackers.index_items([current.pk])
    if requeued:
        _notify(
            _("%(date)s 日报有已审核的条目被修改,需重新审核")
            % {"date": current.bulletin.issued_on},
            _("%(user)s 修改了一条已审核的条目:%(text)s")
            % {"user": by.get_username(), "text": current.body[:80]},
            _reviewer_users(exclude=by),
            url=reverse("admin:bulletins_item_review"),
        )
        _sync_bulletin(current.bulletin, by=by)
    if merged_over or overwritten:
        labels = "、".join(str(Item._meta.get_field(f).verbose_name) for f in changed)
        _log(
            None,
            item=current,
            action="overwrite" if overwritten else "merge",
            from_status=current.status,
            to_status=current.status,
            by=by,
            comment=(
                _("覆盖了他人同时保存的修改:%(fields)s") % {"fields": labels}
                if overwritten
                else _("与 %(user)s 的版本 %(v)s 自动合并;本次修改:%(fields)s")
                % {"user": merged_over[0], "v": merged_over[1], "fields": labels}
            ),
        )
    return current


def _editor_name(row) -> str:
    return row.updated_by.get_username() if row.updated_by else "?"


@transaction.atomic
def content_changed(item: Item, *, by: User | None, comment: str = "") -> Item:
    """Record that ``by`` changed a reader-visible part of the item outside ``edit_item`` (a
    public entity link): ``by`` becomes a contributor, and an approved item goes back to
    review. Links on a published issue are the chief editor's curation, its text unchanged:
    they are recorded but leave the issue as published. A command (``by`` None) records
    nothing."""
    current = _locked_item(item)
    if by is None:
        return current
    if current.status == ItemStatus.APPROVED and current.bulletin.status not in (
        LOCKED_BULLETIN_STATUSES
    ):
        _transition(current, ItemStatus.SUBMITTED, action="link", by=by, comment=comment)
        _sync_bulletin(current.bulletin, by=by)
    else:
        _log(
            None,
            item=current,
            action="link",
            from_status=current.status,
            to_status=current.status,
            by=by,
            comment=comment,
        )
    return current


@transaction.atomic
def reorder_items(bulletin: Bulletin, *, by: User, order: list[tuple[int, int]]) -> None:
    """Set every listed item's (section, position) from ``order`` = [(item_id, section_id)…]."""
    require(by, "edit")
    current = _locked_bulletin(bulletin)
    _ensure_editable(current)
    ids = [item_id for item_id, _section in order]
    found = set(current.items.filter(pk__in=ids).values_list("pk", flat=True))
    if found != set(ids) or len(ids) != len(set(ids)):
        raise TransitionNotAllowed(_("排序中的条目与这期日报不符。"), code="invalid")
    section_ids = {section_id for _item, section_id in order}
    if Section.objects.filter(pk__in=section_ids).count() != len(section_ids):
        raise TransitionNotAllowed(_("排序中有不存在的栏目。"), code="invalid")
    # Items the order leaves out keep their relative order after the listed ones, so a
    # partial order can never collide with the unique (bulletin, section, position).
    was = {
        pk: (section_id, position)
        for pk, section_id, position in current.items.in_issue_order().values_list(
            "pk", "section_id", "position"
        )
    }
    order = [*order, *[(pk, place[0]) for pk, place in was.items() if pk not in found]]
    current.items.update(position=F("position") + 100_000)
    counters: dict[int, int] = {}
    for item_id, section_id in order:
        counters[section_id] = counters.get(section_id, 0) + 1
        moved = was[item_id] != (section_id, counters[section_id])
        # Only a moved item gets a new version: a drag elsewhere must not make another
        # editor's open form look stale.
        Item.objects.filter(pk=item_id).update(
            section_id=section_id,
            position=counters[section_id],
            version=F("version") + int(moved),
        )


def _decide_guard(current: Item, by: User) -> None:
    if current.bulletin.status in LOCKED_BULLETIN_STATUSES:
        raise TransitionNotAllowed(_("这期日报已发布,条目不能再审核。"))
    if current.status != ItemStatus.SUBMITTED:
        raise TransitionNotAllowed(
            _("只有待审核的条目可以审核;这条的状态是“%(status)s”。")
            % {"status": current.get_status_display()}
        )
    if is_own_work(current, by):
        raise TransitionNotAllowed(
            _("四眼原则:您不能审核自己撰写或最后修改的条目。"), code="forbidden"
        )


@transaction.atomic
def submit_item(item: Item, *, by: User, comment: str = "") -> Item:
    require(by, "submit")
    current = _locked_item(item)
    _ensure_editable(current.bulletin)
    if current.status not in (ItemStatus.DRAFT, ItemStatus.CHANGES_REQUESTED):
        raise TransitionNotAllowed(
            _("只有草稿或退回修改的条目可以提交;这条的状态是“%(status)s”。")
            % {"status": current.get_status_display()}
        )
    if not current.body.strip():
        raise TransitionNotAllowed(_("条目没有正文,不能提交审核。"), code="invalid")
    _transition(current, ItemStatus.SUBMITTED, action="submit", by=by, comment=comment)
    bulletin = _locked_bulletin(current.bulletin)
    if bulletin.status == BulletinStatus.DRAFT:
        _transition(bulletin, BulletinStatus.IN_REVIEW, action="submit", by=by)
    _notify(
        _("%(date)s 日报有新条目待审核") % {"date": bulletin.issued_on},
        _("%(user)s 提交了一条条目:%(text)s")
        % {"user": by.get_username(), "text": current.body[:80]},
        _reviewer_users(exclude=by),
        url=reverse("admin:bulletins_item_review"),
    )
    _sync_bulletin(bulletin, by=by)
    return current


@transaction.atomic
def approve_item(item: Item, *, by: User, comment: str = "") -> Item:
    require(by, "approve")
    current = _locked_item(item)
    _decide_guard(current, by)
    _transition(current, ItemStatus.APPROVED, action="approve", by=by, comment=comment)
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def request_changes(item: Item, *, by: User, comment: str) -> Item:
    require(by, "request_changes")
    if not (comment or "").strip():
        raise TransitionNotAllowed(_("退回修改必须写明原因。"), code="invalid")
    current = _locked_item(item)
    _decide_guard(current, by)
    _transition(
        current,
        ItemStatus.CHANGES_REQUESTED,
        action="request_changes",
        by=by,
        comment=comment.strip(),
    )
    _notify(
        _("您的条目被退回修改(%(date)s)") % {"date": current.bulletin.issued_on},
        _("%(user)s 的意见:%(comment)s\n\n条目:%(text)s")
        % {"user": by.get_username(), "comment": comment.strip(), "text": current.body[:200]},
        [current.created_by, current.updated_by],
        url=_admin_url(current),
    )
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def spike_item(item: Item, *, by: User, comment: str = "") -> Item:
    require(by, "spike")
    current = _locked_item(item)
    _ensure_editable(current.bulletin)
    if current.status == ItemStatus.SPIKED:
        raise TransitionNotAllowed(_("这条已经弃用。"))
    current.headline_rank = None  # a spiked item leaves the title
    _transition(
        current,
        ItemStatus.SPIKED,
        action="spike",
        by=by,
        comment=comment,
        fields=("headline_rank",),
    )
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def unspike_item(item: Item, *, by: User, comment: str = "") -> Item:
    """Bring a spiked item back as a draft (a spike by mistake must not cost the text)."""
    require(by, "unspike")
    current = _locked_item(item)
    _ensure_editable(current.bulletin)
    if current.status != ItemStatus.SPIKED:
        raise TransitionNotAllowed(_("只有已弃用的条目可以恢复。"))
    _transition(current, ItemStatus.DRAFT, action="unspike", by=by, comment=comment)
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def restore_revision(
    item: Item, *, by: User, revision: ItemRevision, expected_version: int
) -> Item:
    if revision.item_id != item.pk:
        raise TransitionNotAllowed(_("该版本不属于这条条目。"), code="invalid")
    return edit_item(
        item,
        by=by,
        expected_version=expected_version,
        body=revision.body,
        headline=revision.headline,
    )


def revision_diff(old: ItemRevision | Item, new: ItemRevision | Item) -> str:
    """A readable character-level diff as HTML (<del>/<ins>), escaped."""
    return text_diff(old.body, new.body)


def text_diff(a: str, b: str) -> str:
    """``a`` → ``b`` as escaped HTML with <del>/<ins> (the conflict screen, revisions)."""
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(a[i1:i2]))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(a[i1:i2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(b[j1:j2])}</ins>")
    return "".join(out)


# ----------------------------------------------------------------------------- what may I do?


def allowed_bulletin_actions(user, bulletin: Bulletin, *, at=None) -> list[str]:
    """The bulletin-level transitions this user may attempt now (the admin shows only these).

    The guards in the transitions stay the authority; this only hides buttons that would
    certainly be refused. ``publish`` is listed even when checks block, so the chief editor
    sees why.
    """
    status = bulletin.status
    public = bulletin.is_public(at=at)
    allowed = []
    if can(user, "submit") and (
        status == BulletinStatus.DRAFT
        or (
            # In review, submitting again only makes sense for drafts or sent-back items.
            status == BulletinStatus.IN_REVIEW
            and bulletin.items.filter(
                status__in=[ItemStatus.DRAFT, ItemStatus.CHANGES_REQUESTED]
            ).exists()
        )
    ):
        allowed.append("submit")
    if status == BulletinStatus.APPROVED:
        allowed += [a for a in ("publish", "schedule") if can(user, a)]
    if status == BulletinStatus.SCHEDULED and not public and can(user, "unschedule"):
        allowed.append("unschedule")
    if public and can(user, "correct"):
        allowed.append("correct")
    if status in PUBLIC_BULLETIN_STATUSES and can(user, "retract"):
        allowed.append("retract")
    if public and can(user, "withdraw"):
        allowed.append("withdraw")
    return allowed


def allowed_item_actions(user, item: Item) -> list[str]:
    """The item-level transitions this user may make now, four eyes included."""
    if item.bulletin.status in LOCKED_BULLETIN_STATUSES:
        return []
    allowed = []
    if can(user, "submit") and item.status in (ItemStatus.DRAFT, ItemStatus.CHANGES_REQUESTED):
        allowed.append("submit")
    if can_decide(user, item):
        allowed += ["approve", "request_changes"]
    if can(user, "unspike") and item.status == ItemStatus.SPIKED:
        allowed.append("unspike")
    if can(user, "spike") and item.status != ItemStatus.SPIKED:
        allowed.append("spike")
    return allowed


def decidable_items(user):
    """The review queue: submitted items of unpublished issues this user may decide, oldest first.

    "Oldest" is the moment the item was last submitted (its latest ``submit`` or ``edit``
    transition), so an item sent back and resubmitted queues again at the end.
    """
    from django.db.models import Exists, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    if not can(user, "approve"):
        return Item.objects.none()
    submitted_at = (
        Transition.objects.filter(item=OuterRef("pk"), to_status=ItemStatus.SUBMITTED)
        .exclude(from_status=ItemStatus.SUBMITTED)  # a revision while waiting keeps its place
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    # ``contributors`` in SQL: content this user wrote since the item's last approval (or
    # ever, before one); the same rule as ``can_decide``.
    last_approval = (
        Transition.objects.filter(item=OuterRef(OuterRef("pk")), action="approve")
        .order_by("-pk")
        .values("pk")[:1]
    )
    wrote = Transition.objects.filter(
        item=OuterRef("pk"), action__in=CONTENT_ACTIONS, by=user
    ).filter(pk__gt=Coalesce(Subquery(last_approval), Value(0)))
    approved_once = Exists(Transition.objects.filter(item=OuterRef("pk"), action="approve"))
    return (
        Item.objects.filter(status=ItemStatus.SUBMITTED)
        .exclude(bulletin__status__in=LOCKED_BULLETIN_STATUSES)
        .exclude(Exists(wrote))
        .exclude(updated_by=user)
        .exclude(Q(created_by=user) & ~approved_once)
        .select_related("bulletin", "section", "created_by", "updated_by")
        .annotate(submitted_at=Subquery(submitted_at))
        .order_by("submitted_at", "pk")
    )
