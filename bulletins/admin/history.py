"""The editorial record in the admin: transitions, revisions and corrections, read-only.

History is written by the workflow only (``Transition`` on every status change, an
``ItemRevision`` per text version, a ``Correction`` by the 更正 button); the admin lists it
and offers no add, change or delete.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from .. import workflow
from ..models import (
    BulletinStatus,
    Correction,
    ItemRevision,
    ItemStatus,
    Transition,
)

# Labels of log entries that are not user actions of workflow.ACTIONS.
LOG_LABELS = {
    "create": gettext_lazy("创建"),
    "edit": gettext_lazy("修改"),
    "revise": gettext_lazy("修改内容"),
    "link": gettext_lazy("修改实体关联"),
    "auto": gettext_lazy("自动"),
}
STATUS_LABELS = {**dict(ItemStatus.choices), **dict(BulletinStatus.choices)}


def action_label(action: str) -> str:
    return str(workflow.ACTION_LABELS.get(action) or LOG_LABELS.get(action) or action)


def labelled(transitions):
    rows = list(transitions)
    for t in rows:
        t.action_label = action_label(t.action)
        t.from_label = STATUS_LABELS.get(t.from_status, t.from_status)
        t.to_label = STATUS_LABELS.get(t.to_status, t.to_status)
    return rows


class ReadOnlyAdminMixin:
    """A record kept for the newsroom: shown, never added, changed or deleted here."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "bulletin", "item", "action_name", "from_status", "to_status", "by"]
    list_filter = ["action"]
    list_select_related = ["bulletin", "item__bulletin", "item__section", "by"]

    @admin.display(description=gettext_lazy("操作"), ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)


@admin.register(ItemRevision)
class ItemRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "version", "by", "at", "note"]
    list_select_related = ["item__bulletin", "item__section", "by"]


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a correction is made with the 更正 button, which goes through the workflow."""

    list_display = ["bulletin", "created_at", "note", "created_by"]
