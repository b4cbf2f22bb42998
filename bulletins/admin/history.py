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
    "went_live": gettext_lazy("定时上线"),
    "merge": gettext_lazy("自动合并"),
    "overwrite": gettext_lazy("覆盖他人修改"),
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


class ActionFilter(admin.SimpleListFilter):
    """The log's actions by their Chinese names (the column stores codes)."""

    title = gettext_lazy("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).values_list("action", flat=True).distinct()
        return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ToStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("变为")
    parameter_name = "to_status"

    def lookups(self, request, model_admin):
        return list(STATUS_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(to_status=self.value()) if self.value() else queryset


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "bulletin", "item", "action_name", "from_label", "to_label", "by"]
    list_filter = [ActionFilter, ToStatusFilter]
    list_select_related = ["bulletin", "item__bulletin", "item__section", "by"]
    fields = ["at", "bulletin", "item", "action_name", "from_label", "to_label", "by", "comment"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("操作"), ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)

    @admin.display(description=gettext_lazy("原状态"), ordering="from_status")
    def from_label(self, obj):
        return STATUS_LABELS.get(obj.from_status, obj.from_status) or "—"

    @admin.display(description=gettext_lazy("新状态"), ordering="to_status")
    def to_label(self, obj):
        return STATUS_LABELS.get(obj.to_status, obj.to_status)


@admin.register(ItemRevision)
class ItemRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "version", "by", "at", "note"]
    list_select_related = ["item__bulletin", "item__section", "by"]


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a correction is made with the 更正 button, which goes through the workflow."""

    list_display = ["bulletin", "created_at", "note", "created_by"]
