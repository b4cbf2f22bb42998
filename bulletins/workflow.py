"""The editorial workflow: the only code that changes a status, with its permission checks.

Items: ``draft → submitted → approved``; ``submitted → changes_requested → submitted``;
an edit of an approved item sends it back to ``submitted``; any unpublished item may be
``spiked`` (kept, never published) and brought back as a ``draft``.

Bulletins: ``draft → in_review → approved`` (by itself, when its last non-spiked item is
approved; an item sent back returns it to ``in_review``) ``→ scheduled / published``;
then ``corrected`` (a visible, dated note; the old text kept as a revision) or ``retracted``.

Every function re-reads its rows with ``select_for_update()`` inside ``transaction.atomic``,
checks its guard, writes with ``update_fields`` and logs a ``Transition``. A refused action
raises ``TransitionNotAllowed`` (``code`` says why: ``forbidden``, ``invalid_state``,
``invalid``, ``conflict``); the admin shows its message, the API maps it to 403/409/400.

Permission matrix (``can(user, action)``):

=================  ======  ========  =====
action             编辑     审核       主编
=================  ======  ========  =====
edit/submit/spike  yes     no        yes
approve / request  no      not own   not own
publish & after    no      no        yes
entities/sections  no      no        yes
=================  ======  ========  =====
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import (
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
from .roles import CHIEF, EDITOR, REVIEWER, roles_of
from .search import index_items

logger = logging.getLogger(__name__)


class TransitionNotAllowed(Exception):
    """The one error type of the workflow: the action was refused, and why.

    ``code`` is ``forbidden`` (role or four-eyes), ``invalid_state`` (wrong status),
    ``invalid`` (missing comment, empty issue, blocking pre-publish check) or ``conflict``
    (a stale version; ``current`` then holds the row as it is now).
    """

    def __init__(self, message, *, code="invalid_state", current=None, errors=None):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.current = current
        self.errors = errors or []


# ----------------------------------------------------------------------------- permissions

ACTIONS = {
    "edit": {EDITOR, CHIEF},
    "submit": {EDITOR, CHIEF},
    "spike": {EDITOR, CHIEF},
    "unspike": {EDITOR, CHIEF},
    "approve": {REVIEWER, CHIEF},
    "request_changes": {REVIEWER, CHIEF},
    "publish": {CHIEF},
    "schedule": {CHIEF},
    "unschedule": {CHIEF},
    "correct": {CHIEF},
    "retract": {CHIEF},
    "manage_entities": {CHIEF},
    "manage_sections": {CHIEF},
}
ACTION_LABELS = {
    "edit": gettext_lazy("编辑"),
    "submit": gettext_lazy("提交审核"),
    "spike": gettext_lazy("弃用"),
    "unspike": gettext_lazy("恢复为草稿"),
    "approve": gettext_lazy("审核通过"),
    "request_changes": gettext_lazy("退回修改"),
    "publish": gettext_lazy("发布"),
    "schedule": gettext_lazy("定时发布"),
    "unschedule": gettext_lazy("取消定时"),
    "correct": gettext_lazy("更正"),
    "retract": gettext_lazy("撤回"),
    "manage_entities": gettext_lazy("管理实体"),
    "manage_sections": gettext_lazy("管理栏目"),
}


def can(user, action: str) -> bool:
    """Whether the user's role allows the action at all (four eyes is checked per item)."""
    return bool(roles_of(user) & ACTIONS[action])


def _require(user, action: str) -> None:
    if not can(user, action):
        raise TransitionNotAllowed(
            _("您没有权限执行“%(action)s”。") % {"action": ACTION_LABELS[action]}, code="forbidden"
        )


def is_own_work(item: Item, user) -> bool:
    return user.pk is not None and user.pk in {item.created_by_id, item.updated_by_id}


def can_decide(user, item: Item) -> bool:
    """May this user approve or send back this item now? (role, status and four eyes)"""
    return (
        can(user, "approve")
        and item.status == ItemStatus.SUBMITTED
        and not is_own_work(item, user)
        and item.bulletin.status not in (*PUBLIC_BULLETIN_STATUSES, BulletinStatus.RETRACTED)
    )


# ----------------------------------------------------------------------------- helpers

LOCKED_BULLETIN_STATUSES = (*PUBLIC_BULLETIN_STATUSES, BulletinStatus.RETRACTED)


def _log(bulletin, *, action, from_status, to_status, by, item=None, comment="", at=None):
    return Transition.objects.create(
        bulletin=bulletin,
        item=item,
        action=action,
        from_status=from_status or "",
        to_status=to_status,
        by=by,
        comment=comment,
        at=at or timezone.now(),
    )


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


def _sync_bulletin(bulletin: Bulletin, *, by, comment="") -> Bulletin:
    """Move an in-review bulletin to approved when all its live items are, and back."""
    bulletin = _locked_bulletin(bulletin)
    if bulletin.status not in (BulletinStatus.IN_REVIEW, BulletinStatus.APPROVED):
        return bulletin
    live = bulletin.items.exclude(status=ItemStatus.SPIKED)
    all_approved = live.exists() and not live.exclude(status=ItemStatus.APPROVED).exists()
    target = BulletinStatus.APPROVED if all_approved else BulletinStatus.IN_REVIEW
    if target != bulletin.status:
        old = bulletin.status
        bulletin.status = target
        bulletin.version += 1
        bulletin.save(update_fields=["status", "version", "updated_at"])
        _log(bulletin, action="auto", from_status=old, to_status=target, by=by, comment=comment)
    return bulletin


def _notify(subject: str, message: str, recipients) -> None:
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return

    def send():
        try:
            send_mail(subject, message, None, recipients)
        except Exception:  # a mail outage must not undo an editorial action
            logger.exception("notification mail failed: %s", subject)

    transaction.on_commit(send)


def _reviewer_emails(*, exclude=None):
    users = get_user_model().objects.filter(groups__name=REVIEWER, is_active=True)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.values_list("email", flat=True)


# ----------------------------------------------------------------------------- bulletins


@transaction.atomic
def create_bulletin(*, issued_on: dt.date, by, dateline: str = "") -> Bulletin:
    _require(by, "edit")
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
def edit_bulletin(bulletin: Bulletin, *, by, expected_version: int, dateline: str) -> Bulletin:
    _require(by, "edit")
    current = _locked_bulletin(bulletin)
    _check_version(current, expected_version)
    _ensure_editable(current)
    current.dateline = dateline
    current.updated_by = by
    current.version += 1
    current.save(update_fields=["dateline", "updated_by", "version", "updated_at"])
    return current


@transaction.atomic
def delete_draft_bulletin(bulletin: Bulletin, *, by) -> None:
    """Remove a bulletin that never left draft (used when an import replaces it)."""
    _require(by, "edit")
    current = _locked_bulletin(bulletin)
    if current.status != BulletinStatus.DRAFT:
        raise TransitionNotAllowed(
            _("只能替换仍为草稿的日报;%(date)s 的日报状态为“%(status)s”。")
            % {"date": current.issued_on, "status": current.get_status_display()}
        )
    current.delete()


@transaction.atomic
def submit_bulletin(bulletin: Bulletin, *, by, comment: str = "") -> Bulletin:
    """Submit every draft (or sent-back) item and put the issue in review."""
    _require(by, "submit")
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
        old = item.status
        item.status = ItemStatus.SUBMITTED
        item.version += 1
        item.save(update_fields=["status", "version", "updated_at"])
        _log(
            current,
            item=item,
            action="submit",
            from_status=old,
            to_status=item.status,
            by=by,
            at=now,
        )
    if current.status == BulletinStatus.DRAFT:
        current.status = BulletinStatus.IN_REVIEW
        current.version += 1
        current.save(update_fields=["status", "version", "updated_at"])
        _log(
            current,
            action="submit",
            from_status=BulletinStatus.DRAFT,
            to_status=current.status,
            by=by,
            comment=comment,
            at=now,
        )
    if pending:
        _notify(
            _("%(date)s 日报有 %(n)s 条待审核") % {"date": current.issued_on, "n": len(pending)},
            _("%(user)s 提交了 %(n)s 条条目,请在审核队列中处理。")
            % {"user": by.get_username(), "n": len(pending)},
            _reviewer_emails(exclude=by),
        )
    return _sync_bulletin(current, by=by)


@dataclass
class Check:
    code: str
    message: str
    is_blocking: bool
    item_id: int | None = None


@dataclass
class CheckReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def blocking(self):
        return [c for c in self.checks if c.is_blocking]

    @property
    def warnings(self):
        return [c for c in self.checks if not c.is_blocking]

    @property
    def ok(self) -> bool:
        return not self.blocking


def _punctuation_mixed(text: str) -> bool:
    # Escapes, not literals: editors and tools silently normalise full-width characters.
    pairs = [(",", "\uff0c"), (";", "\uff1b"), ("(", "\uff08"), (")", "\uff09"), (":", "\uff1a")]
    return any(a in text and b in text for a, b in pairs)


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def prepublish_checks(bulletin: Bulletin) -> CheckReport:
    """What blocks publication and what an editor should look at first."""
    from .importers.dateline import dateline_date  # the parser owns the dateline format

    report = CheckReport()
    items = list(
        bulletin.items.exclude(status=ItemStatus.SPIKED)
        .select_related("section")
        .prefetch_related("entity_links")
        .in_issue_order()
    )
    if not items:
        report.checks.append(Check("empty", _("这期日报没有任何条目。"), True))
    for item in items:
        label = f"{item.section.name} #{item.position}"
        if item.status != ItemStatus.APPROVED:
            report.checks.append(
                Check(
                    "unapproved",
                    _("%(label)s 尚未审核通过(%(status)s)。")
                    % {"label": label, "status": item.get_status_display()},
                    True,
                    item.pk,
                )
            )
        if item.headline_rank is not None and not item.headline:
            report.checks.append(
                Check(
                    "rank_without_headline",
                    _("%(label)s 有标题排序但没有标题。") % {"label": label},
                    True,
                    item.pk,
                )
            )
        if item.headline and item.headline_rank is None:
            report.checks.append(
                Check(
                    "headline_without_rank",
                    _("%(label)s 的标题没有排序,不会出现在标题中。") % {"label": label},
                    False,
                    item.pk,
                )
            )
        if not item.entity_links.all():
            report.checks.append(
                Check(
                    "no_entity",
                    _("%(label)s 没有关联任何实体。") % {"label": label},
                    False,
                    item.pk,
                )
            )
        if _punctuation_mixed(item.body):
            report.checks.append(
                Check(
                    "mixed_punctuation",
                    _("%(label)s 混用了半角和全角标点。") % {"label": label},
                    False,
                    item.pk,
                )
            )
    # A headline that points at no item: a spiked item still holding a rank in the title.
    for item in bulletin.items.filter(status=ItemStatus.SPIKED, headline_rank__isnull=False):
        report.checks.append(
            Check(
                "headline_orphan",
                _("标题“%(headline)s”指向已弃用的条目。") % {"headline": item.headline},
                True,
                item.pk,
            )
        )
    if bulletin.dateline:
        found = dateline_date(bulletin.dateline)
        if found != bulletin.issued_on:
            report.checks.append(
                Check(
                    "dateline_date",
                    _("电头日期(%(found)s)与日报日期(%(date)s)不一致。")
                    % {"found": found or "?", "date": bulletin.issued_on},
                    True,
                )
            )
    # Near-duplicates of items in the last seven issues (character-bigram Jaccard ≥ 0.6).
    since = bulletin.issued_on - dt.timedelta(days=7)
    recent = list(
        Item.objects.filter(
            bulletin__issued_on__gte=since, bulletin__issued_on__lt=bulletin.issued_on
        )
        .exclude(status=ItemStatus.SPIKED)
        .values_list("body", "bulletin__issued_on")
    )
    recent_grams = [(_bigrams(body), day) for body, day in recent]
    for item in items:
        grams = _bigrams(item.body)
        if not grams:
            continue
        for other, day in recent_grams:
            if other and len(grams & other) / len(grams | other) >= 0.6:
                report.checks.append(
                    Check(
                        "near_duplicate",
                        _("%(label)s 与 %(day)s 的一条内容高度相似。")
                        % {"label": f"{item.section.name} #{item.position}", "day": day},
                        False,
                        item.pk,
                    )
                )
                break
    return report


@transaction.atomic
def publish(bulletin: Bulletin, *, by, at: dt.datetime | None = None) -> Bulletin:
    """Publish now, or schedule when ``at`` is in the future. All items go public together."""
    _require(by, "publish")
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
    old = current.status
    current.status = target
    current.publish_at = at
    current.updated_by = by
    current.version += 1
    current.save(update_fields=["status", "publish_at", "updated_by", "version", "updated_at"])
    _log(
        current,
        action="schedule" if target == BulletinStatus.SCHEDULED else "publish",
        from_status=old,
        to_status=target,
        by=by,
        comment=timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
    )
    return current


def schedule(bulletin: Bulletin, *, by, at: dt.datetime) -> Bulletin:
    _require(by, "schedule")
    if at <= timezone.now():
        raise TransitionNotAllowed(_("定时发布的时间必须在将来。"), code="invalid")
    return publish(bulletin, by=by, at=at)


@transaction.atomic
def unschedule(bulletin: Bulletin, *, by) -> Bulletin:
    _require(by, "unschedule")
    current = _locked_bulletin(bulletin)
    if current.status != BulletinStatus.SCHEDULED or current.is_public():
        raise TransitionNotAllowed(_("只有尚未到时间的定时发布可以取消。"))
    current.status = BulletinStatus.APPROVED
    current.publish_at = None
    current.version += 1
    current.save(update_fields=["status", "publish_at", "version", "updated_at"])
    _log(
        current,
        action="unschedule",
        from_status=BulletinStatus.SCHEDULED,
        to_status=current.status,
        by=by,
    )
    return current


@transaction.atomic
def correct(
    bulletin: Bulletin,
    *,
    by,
    note: str,
    item: Item | None = None,
    body: str | None = None,
    expected_version: int | None = None,
) -> Correction:
    """Correct a published issue: a visible dated note, optionally new text for one item."""
    _require(by, "correct")
    current = _locked_bulletin(bulletin)
    if not current.is_public():
        raise TransitionNotAllowed(_("只有已发布的日报可以更正。"))
    if not note.strip():
        raise TransitionNotAllowed(_("更正必须附说明。"), code="invalid")
    if item is not None:
        locked = _locked_item(item)
        if locked.bulletin_id != current.pk:
            raise TransitionNotAllowed(_("该条目不属于这期日报。"), code="invalid")
        if expected_version is not None:
            _check_version(locked, expected_version)
        if body is not None and body != locked.body:
            _check_paragraph(body)
            _keep_revision(locked, by=by, note=_("更正前"))
            locked.body = body
            locked.updated_by = by
            locked.version += 1
            locked.save(update_fields=["body", "updated_by", "version", "updated_at"])
            _keep_revision(locked, by=by, note=_("更正"))
            index_items([locked.pk])  # the corrected text is searchable at once
    correction = Correction.objects.create(
        bulletin=current, item=item, note=note.strip(), created_by=by
    )
    old = current.status
    current.status = BulletinStatus.CORRECTED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _log(
        current,
        item=item,
        action="correct",
        from_status=old,
        to_status=current.status,
        by=by,
        comment=note.strip(),
    )
    return correction


@transaction.atomic
def retract(bulletin: Bulletin, *, by, comment: str) -> Bulletin:
    _require(by, "retract")
    current = _locked_bulletin(bulletin)
    if current.status not in PUBLIC_BULLETIN_STATUSES:
        raise TransitionNotAllowed(_("只有已发布的日报可以撤回。"))
    if not comment.strip():
        raise TransitionNotAllowed(_("撤回必须说明原因。"), code="invalid")
    old = current.status
    now = timezone.now()
    current.status = BulletinStatus.RETRACTED
    current.retraction_note = comment.strip()
    current.retracted_at = now
    if current.publish_at is None or current.publish_at > now:
        current.publish_at = now  # a retracted schedule never showed text; its notice may show
    current.version += 1
    current.save(
        update_fields=[
            "status",
            "retraction_note",
            "retracted_at",
            "publish_at",
            "version",
            "updated_at",
        ]
    )
    _log(
        current,
        action="retract",
        from_status=old,
        to_status=current.status,
        by=by,
        comment=comment.strip(),
    )
    return current


# ----------------------------------------------------------------------------- items

TEXT_FIELDS = ("body", "headline")
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


def _check_version(current, expected_version) -> None:
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


def _keep_revision(item: Item, *, by, note: str = "") -> ItemRevision:
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
    by,
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
    _require(by, "edit")
    current = _locked_bulletin(bulletin)
    _ensure_editable(current)
    _check_paragraph(body)
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
    return item


def _check_paragraph(body: str | None) -> None:
    """An item is one paragraph: a line break would split it into two items on export."""
    if body and ("\n" in body.strip() or "\r" in body.strip()):
        raise TransitionNotAllowed(
            _("一条内容只能是一个段落:正文中有换行,请删除换行或拆成两条。"), code="invalid"
        )


def _check_rank(bulletin: Bulletin, rank: int | None, *, exclude_pk=None) -> None:
    """A clear refusal instead of the database's unique-constraint error."""
    if rank is None:
        return
    if bulletin.items.filter(headline_rank=rank).exclude(pk=exclude_pk).exists():
        raise TransitionNotAllowed(
            _("标题排序 %(rank)s 已被这期日报的另一条占用。") % {"rank": rank}, code="invalid"
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


@transaction.atomic
def edit_item(item: Item, *, by, expected_version: int, **changes) -> Item:
    """Save an editor's changes if nobody saved in between; text changes become revisions.

    An edit of an approved item's text sends it back to review.
    """
    _require(by, "edit")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TransitionNotAllowed(
            _("不能修改这些字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="invalid",
        )
    current = _locked_item(item)
    _check_version(current, expected_version)
    _ensure_editable(current.bulletin)
    changed = [name for name, value in changes.items() if getattr(current, name) != value]
    if not changed:
        return current
    text_changed = any(name in TEXT_FIELDS for name in changed)
    if text_changed and not current.revisions.filter(version=current.version).exists():
        _keep_revision(current, by=current.updated_by)
    if "body" in changed:
        _check_paragraph(changes["body"])
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
    current.version += 1
    update_fields = [*changed, "updated_by", "version", "updated_at"]
    old_status = current.status
    if text_changed and old_status == ItemStatus.APPROVED:
        current.status = ItemStatus.SUBMITTED
        update_fields.append("status")
    current.save(update_fields=update_fields)
    if text_changed:
        _keep_revision(current, by=by)
        index_items([current.pk])
    if current.status != old_status:
        _log(
            current.bulletin,
            item=current,
            action="edit",
            from_status=old_status,
            to_status=current.status,
            by=by,
            comment=_("已审核的条目被修改,重新送审。"),
        )
        _notify(
            _("%(date)s 日报有已审核的条目被修改,需重新审核")
            % {"date": current.bulletin.issued_on},
            _("%(user)s 修改了一条已审核的条目:%(text)s")
            % {"user": by.get_username(), "text": current.body[:80]},
            _reviewer_emails(exclude=by),
        )
        _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def reorder_items(bulletin: Bulletin, *, by, order: list[tuple[int, int]]) -> None:
    """Set every listed item's (section, position) from ``order`` = [(item_id, section_id)…]."""
    _require(by, "edit")
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


def _decide_guard(current: Item, by) -> None:
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
def submit_item(item: Item, *, by, comment: str = "") -> Item:
    _require(by, "submit")
    current = _locked_item(item)
    _ensure_editable(current.bulletin)
    if current.status not in (ItemStatus.DRAFT, ItemStatus.CHANGES_REQUESTED):
        raise TransitionNotAllowed(
            _("只有草稿或退回修改的条目可以提交;这条的状态是“%(status)s”。")
            % {"status": current.get_status_display()}
        )
    if not current.body.strip():
        raise TransitionNotAllowed(_("条目没有正文,不能提交审核。"), code="invalid")
    old = current.status
    current.status = ItemStatus.SUBMITTED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _log(
        current.bulletin,
        item=current,
        action="submit",
        from_status=old,
        to_status=current.status,
        by=by,
        comment=comment,
    )
    bulletin = _locked_bulletin(current.bulletin)
    if bulletin.status == BulletinStatus.DRAFT:
        bulletin.status = BulletinStatus.IN_REVIEW
        bulletin.version += 1
        bulletin.save(update_fields=["status", "version", "updated_at"])
        _log(
            bulletin,
            action="submit",
            from_status=BulletinStatus.DRAFT,
            to_status=bulletin.status,
            by=by,
        )
    _notify(
        _("%(date)s 日报有新条目待审核") % {"date": bulletin.issued_on},
        _("%(user)s 提交了一条条目:%(text)s")
        % {"user": by.get_username(), "text": current.body[:80]},
        _reviewer_emails(exclude=by),
    )
    _sync_bulletin(bulletin, by=by)
    return current


@transaction.atomic
def approve_item(item: Item, *, by, comment: str = "") -> Item:
    _require(by, "approve")
    current = _locked_item(item)
    _decide_guard(current, by)
    current.status = ItemStatus.APPROVED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _log(
        current.bulletin,
        item=current,
        action="approve",
        from_status=ItemStatus.SUBMITTED,
        to_status=current.status,
        by=by,
        comment=comment,
    )
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def request_changes(item: Item, *, by, comment: str) -> Item:
    _require(by, "request_changes")
    if not (comment or "").strip():
        raise TransitionNotAllowed(_("退回修改必须写明原因。"), code="invalid")
    current = _locked_item(item)
    _decide_guard(current, by)
    current.status = ItemStatus.CHANGES_REQUESTED
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _log(
        current.bulletin,
        item=current,
        action="request_changes",
        from_status=ItemStatus.SUBMITTED,
        to_status=current.status,
        by=by,
        comment=comment.strip(),
    )
    author_emails = [u.email for u in (current.created_by, current.updated_by) if u is not None]
    _notify(
        _("您的条目被退回修改(%(date)s)") % {"date": current.bulletin.issued_on},
        _("%(user)s 的意见:%(comment)s\n\n条目:%(text)s")
        % {"user": by.get_username(), "comment": comment.strip(), "text": current.body[:200]},
        author_emails,
    )
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def spike_item(item: Item, *, by, comment: str = "") -> Item:
    _require(by, "spike")
    current = _locked_item(item)
    _ensure_editable(current.bulletin)
    if current.status == ItemStatus.SPIKED:
        raise TransitionNotAllowed(_("这条已经弃用。"))
    old = current.status
    current.status = ItemStatus.SPIKED
    current.headline_rank = None  # a spiked item leaves the title
    current.version += 1
    current.save(update_fields=["status", "headline_rank", "version", "updated_at"])
    _log(
        current.bulletin,
        item=current,
        action="spike",
        from_status=old,
        to_status=current.status,
        by=by,
        comment=comment,
    )
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def unspike_item(item: Item, *, by, comment: str = "") -> Item:
    """Bring a spiked item back as a draft (a spike by mistake must not cost the text)."""
    _require(by, "unspike")
    current = _locked_item(item)
    _ensure_editable(current.bulletin)
    if current.status != ItemStatus.SPIKED:
        raise TransitionNotAllowed(_("只有已弃用的条目可以恢复。"))
    current.status = ItemStatus.DRAFT
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at"])
    _log(
        current.bulletin,
        item=current,
        action="unspike",
        from_status=ItemStatus.SPIKED,
        to_status=current.status,
        by=by,
        comment=comment,
    )
    _sync_bulletin(current.bulletin, by=by)
    return current


@transaction.atomic
def restore_revision(item: Item, *, by, revision: ItemRevision, expected_version: int) -> Item:
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
    a, b = old.body, new.body
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
    if can(user, "submit") and status in (BulletinStatus.DRAFT, BulletinStatus.IN_REVIEW):
        allowed.append("submit")
    if status == BulletinStatus.APPROVED:
        allowed += [a for a in ("publish", "schedule") if can(user, a)]
    if status == BulletinStatus.SCHEDULED and not public and can(user, "unschedule"):
        allowed.append("unschedule")
    if public and can(user, "correct"):
        allowed.append("correct")
    if status in PUBLIC_BULLETIN_STATUSES and can(user, "retract"):
        allowed.append("retract")
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
    from django.db.models import OuterRef, Q, Subquery

    if not can(user, "approve"):
        return Item.objects.none()
    submitted_at = (
        Transition.objects.filter(item=OuterRef("pk"), to_status=ItemStatus.SUBMITTED)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    return (
        Item.objects.filter(status=ItemStatus.SUBMITTED)
        .exclude(bulletin__status__in=LOCKED_BULLETIN_STATUSES)
        .exclude(Q(created_by=user) | Q(updated_by=user))
        .select_related("bulletin", "section", "created_by", "updated_by")
        .annotate(submitted_at=Subquery(submitted_at))
        .order_by("submitted_at", "pk")
    )
