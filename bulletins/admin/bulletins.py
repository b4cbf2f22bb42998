"""The editorial admin for issues: publication settings, sections, the bulletin page with
its items inline (drag to reorder), its buttons, pre-publish checks, preview, export and log,
and the dashboard.

Nothing here writes a status: every save and every button calls ``bulletins.workflow``, and
a refused transition comes back as a message. Sections are saved through
``sections.save_section`` (chief editors).
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import comments, preview, sections, workflow
from ..models import (
    Bulletin,
    Item,
    ItemEntity,
    ItemStatus,
    PublicationSettings,
    Section,
)
from .forms import BulletinForm, ItemInlineForm, KeepTextOnRefusal, copy_row, redirect_back
from .history import labelled
from .items import item_action_buttons
from .scaling import BulletinYearFilter, TenYearAdmin


@admin.register(PublicationSettings)
class PublicationSettingsAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "dateline_pattern", "time_zone"]

    def has_add_permission(self, request):
        return not PublicationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    """Sections are public structure: the chief editor's (``sections.save_section``)."""

    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request):
        return super().has_add_permission(request) and workflow.can(request.user, "manage_sections")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and workflow.can(
            request.user, "manage_sections"
        )

    def save_model(self, request, obj, form, change):
        sections.save_section(obj, by=request.user)


class ItemInline(admin.TabularInline):
    """The issue's items, grouped by section and ordered by dragging their handle."""

    model = Item
    form = ItemInlineForm
    template = "admin/bulletins/bulletin/items_inline.html"
    extra = 1
    can_delete = False  # nothing is lost: an unwanted item is spiked, and stays on record
    show_change_link = True
    fields = [
        "section",
        "body",
        "headline",
        "headline_rank",
        "event_kind",
        "expected_version",
        "base",
        "status_badge",
        "linked_entities",
        "item_actions",
    ]
    readonly_fields = ["status_badge", "linked_entities", "item_actions"]
    ordering = ["section__position", "section_id", "position", "id"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not self.has_change_permission(request, obj):
            fields.remove("expected_version")
            fields.remove("base")
        return fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("section", "bulletin", "created_by", "updated_by")
            .prefetch_related(
                Prefetch("entity_links", queryset=ItemEntity.objects.select_related("entity")),
                workflow.content_log_prefetch(),  # four eyes per row without a query each
            )
        )

    def get_formset(self, request, obj=None, **kwargs):
        self.request = request  # inline instances are made per request; buttons need the user
        formset = super().get_formset(request, obj, **kwargs)
        body = formset.form.base_fields.get("body")
        if body is not None:
            # Room to read a whole item without scrolling inside the box.
            body.widget = forms.Textarea(attrs={"rows": 6, "cols": 80, "class": "wf-body"})
        section = formset.form.base_fields.get("section")
        if section is not None:
            # Evaluate the sections once for all rows, not once per row.
            section.choices = list(section.choices)
        return formset

    def has_add_permission(self, request, obj=None):
        if obj is not None and obj.status in workflow.LOCKED_BULLETIN_STATUSES:
            return False
        return super().has_add_permission(request, obj) and workflow.can(request.user, "edit")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status in workflow.LOCKED_BULLETIN_STATUSES:
            return False
        return super().has_change_permission(request, obj) and workflow.can(request.user, "edit")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("状态"))
    def status_badge(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            '<span class="wf-status wf-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=gettext_lazy("实体"))
    def linked_entities(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return ", ".join(link.entity.name for link in obj.entity_links.all()) or "-"

    @admin.display(description=gettext_lazy("操作"))
    def item_actions(self, obj):
        request = getattr(self, "request", None)
        if obj is None or obj.pk is None or request is None:
            return ""
        return item_action_buttons(request, obj, form_id="wf-item-form")


@admin.register(Bulletin)
class BulletinAdmin(TenYearAdmin, KeepTextOnRefusal, admin.ModelAdmin):
    form = BulletinForm
    change_form_template = "admin/bulletins/bulletin/change_form.html"
    change_list_template = "admin/bulletins/bulletin/change_list.html"
    list_display = ["issued_on", "status_badge", "publish_at", "item_count", "updated_by"]
    list_filter = ["status", BulletinYearFilter]
    inlines = [ItemInline]
    save_on_top = True

    class Media:
        css = {"all": ["admin-extra/workflow.css"]}
        js = ["admin-extra/workflow.js"]

    def get_queryset(self, request):
        # A correlated count, evaluated for the listed page only (a join + GROUP BY counted
        # the items of all 3,650 issues for every page view).
        n_items = (
            Item.objects.filter(bulletin=OuterRef("pk"))
            .order_by()
            .values("bulletin")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(n_items=Coalesce(Subquery(n_items), 0))

    def get_fields(self, request, obj=None):
        base = ["issued_on", "dateline"]
        if obj is None:
            return base
        fields = [*base, "status", "publish_at", "version", "updated_by"]
        if self.has_change_permission(request, obj):
            fields += ["expected_version", "item_order"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["issued_on", "status", "publish_at", "version", "updated_by"]
        if obj.status in workflow.LOCKED_BULLETIN_STATUSES:
            readonly.append("dateline")
        return readonly

    def has_add_permission(self, request):
        return super().has_add_permission(request) and workflow.can(request.user, "edit")

    def has_change_permission(self, request, obj=None):
        if not (super().has_change_permission(request, obj) and workflow.can(request.user, "edit")):
            return False
        return obj is None or obj.status not in workflow.LOCKED_BULLETIN_STATUSES

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("状态"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="wf-status wf-{}">{}</span>', obj.status, obj.get_status_display()
        )

    def view_on_site(self, obj):
        # Only a public issue has a public page; before that the 预览 button shows it.
        return obj.get_absolute_url() if obj.is_public() else None

    @admin.display(description=gettext_lazy("条目数"), ordering="n_items")
    def item_count(self, obj):
        return obj.n_items

    # -- saving goes through the workflow

    def save_model(self, request, obj, form, change):
        if not change:
            created = workflow.create_bulletin(
                issued_on=form.cleaned_data["issued_on"],
                dateline=form.cleaned_data.get("dateline", ""),
                by=request.user,
            )
            copy_row(obj, created)
            return
        if "dateline" in form.content_changed():
            saved = workflow.edit_bulletin(
                obj,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                dateline=form.cleaned_data["dateline"],
            )
            copy_row(obj, saved)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Item:
            return super().save_formset(request, form, formset, change)
        bulletin = form.instance
        for item_form in formset.initial_forms:
            if item_form.content_changed():
                # merges with another editor's save of other fields (see ItemForm)
                workflow.edit_item(
                    item_form.instance, by=request.user, **item_form.workflow_save_kwargs()
                )
        for item_form in formset.extra_forms:
            if not item_form.has_changed() or not item_form.cleaned_data.get("section"):
                continue
            data = item_form.cleaned_data
            workflow.add_item(
                bulletin,
                by=request.user,
                section=data["section"],
                body=data.get("body", ""),
                headline=data.get("headline", ""),
                headline_rank=data.get("headline_rank"),
                event_kind=data.get("event_kind", ""),
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        order = form.cleaned_data.get("item_order")
        if change and order:
            current = list(form.instance.items.in_issue_order().values_list("pk", "section_id"))
            listed = {pk for pk, _section in order}
            # Items added by this very save are not in the dragged order: keep them last.
            order = [*order, *[(pk, s) for pk, s in current if pk not in listed]]
            if order != current:
                workflow.reorder_items(form.instance, by=request.user, order=order)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("issued_on", timezone.localdate())
        return initial

    def change_view(self, request, object_id, form_url="", extra_context=None):
        bulletin = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if bulletin is not None and self.has_view_permission(request, bulletin):
            extra_context.update(self.workflow_context(request, bulletin))
        return super().change_view(request, object_id, form_url, extra_context)

    def workflow_context(self, request, bulletin: Bulletin) -> dict:
        transitions = labelled(
            bulletin.transitions.select_related("by", "item__section").order_by("-at", "-pk")
        )
        allowed = workflow.allowed_bulletin_actions(request.user, bulletin)
        correctable = []
        if "correct" in allowed or "withdraw" in allowed:
            correctable = list(
                bulletin.items.filter(status=ItemStatus.APPROVED)
                .select_related("section")
                .in_issue_order()
            )
        return {
            "wf_bulletin": bulletin,
            "wf_allowed": allowed,
            "wf_checks": workflow.prepublish_checks(bulletin),
            "wf_transitions": transitions,
            "wf_corrections": list(bulletin.corrections.select_related("item", "created_by")),
            "wf_correctable": correctable,
            "wf_sections_data": [{"id": s.pk, "name": s.name} for s in Section.objects.all()],
            "wf_preview_url": reverse("admin:bulletins_bulletin_preview", args=[bulletin.pk]),
            "wf_share_url": preview.share_url(request, bulletin),
            "wf_share_expires": preview.share_expires_at(),
            "wf_labels": workflow.ACTION_LABELS,
            "wf_now": timezone.localtime(),
        }

    # -- extra pages

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dashboard/", wrap(self.dashboard_view), name="bulletins_bulletin_dashboard"),
            path(
                "<int:object_id>/act/<str:action>/",
                wrap(self.action_view),
                name="bulletins_bulletin_act",
            ),
            path(
                "<int:object_id>/preview/",
                wrap(self.preview_view),
                name="bulletins_bulletin_preview",
            ),
            path(
                "<int:object_id>/export/<str:format>/",
                wrap(self.export_view),
                name="bulletins_bulletin_export",
            ),
            *super().get_urls(),
        ]

    def _bulletin_or_403(self, request, object_id) -> Bulletin:
        bulletin = get_object_or_404(Bulletin, pk=object_id)
        if not self.has_view_permission(request, bulletin):
            raise PermissionDenied
        return bulletin

    def preview_view(self, request, object_id):
        return preview.render_preview(
            request, self._bulletin_or_403(request, object_id), shared=False
        )

    def export_view(self, request, object_id, format):
        """The issue as text, Markdown or an HTML fragment, drafts included, for staff."""
        from .. import exporters

        bulletin = self._bulletin_or_403(request, object_id)
        if format not in exporters.FORMATS:
            raise Http404(format)
        exported = exporters.export(bulletin, format=format)
        response = HttpResponse(exported.content, content_type=exported.content_type)
        if format not in ("html", "wechat"):  # fragments are shown; text formats are files
            response["Content-Disposition"] = (
                f'attachment; filename="{bulletin.issued_on:%Y-%m-%d}.{exported.suffix}"'
            )
        return response

    def action_view(self, request, object_id, action):
        """One bulletin transition, from a button on the change page or the dashboard."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        bulletin = self._bulletin_or_403(request, object_id)
        back = reverse("admin:bulletins_bulletin_change", args=[bulletin.pk])
        post = request.POST
        by = request.user
        try:
            if action == "submit":
                workflow.submit_bulletin(bulletin, by=by, comment=post.get("comment", ""))
                done = _("已提交审核。")
            elif action in ("publish", "schedule") and post.get("confirmed") != "1":
                # A confirmation step first, with what the checks say (nothing is written).
                workflow.require(by, action)
                at = (
                    _parse_local_datetime(post.get("publish_at", ""))
                    if action == "schedule"
                    else None
                )
                return self.confirm_view(request, bulletin, action, at)
            elif action == "publish":
                workflow.publish(bulletin, by=by)
                done = _("已发布。")
            elif action == "schedule":
                at = _parse_local_datetime(post.get("publish_at", ""))
                workflow.schedule(bulletin, by=by, at=at)
                done = _("已定时于 %(at)s 发布。") % {
                    "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
                }
            elif action == "unschedule":
                workflow.unschedule(bulletin, by=by)
                done = _("已取消定时发布。")
            elif action == "correct":
                item = None
                if post.get("item"):
                    item = get_object_or_404(Item, pk=post["item"], bulletin=bulletin)
                body = post.get("body") or None
                workflow.correct(
                    bulletin,
                    by=by,
                    note=post.get("note", ""),
                    item=item,
                    body=body.replace("\r\n", "\n").strip() if body else None,
                    expected_version=int(post["item_version"])
                    if post.get("item_version", "").isdigit()
                    else None,
                )
                done = _("已更正。")
            elif action == "withdraw":
                item = get_object_or_404(Item, pk=post.get("item") or 0, bulletin=bulletin)
                workflow.withdraw_item(item, by=by, note=post.get("note", ""))
                done = _("已撤下该条目,读者将看到撤下说明。")
            elif action == "retract":
                workflow.retract(bulletin, by=by, comment=post.get("comment", ""))
                done = _("已撤回。")
            else:
                raise workflow.TransitionNotAllowed(_("未知的操作。"), code="invalid")
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect_back(request, back)

    def confirm_view(self, request, bulletin: Bulletin, action: str, at) -> TemplateResponse:
        """ "Publish now?" / "Schedule for …?" with the check summary; the button posts the
        same action again with ``confirmed=1``."""
        report = workflow.prepublish_checks(bulletin)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("确认发布") if action == "publish" else _("确认定时发布"),
            "bulletin": bulletin,
            "action": action,
            "at": at,
            "at_value": timezone.localtime(at).strftime("%Y-%m-%dT%H:%M") if at else "",
            "checks": report,
            "items": bulletin.items.exclude(status=ItemStatus.SPIKED).count(),
            "back": reverse("admin:bulletins_bulletin_change", args=[bulletin.pk]),
        }
        return TemplateResponse(request, "admin/bulletins/bulletin/confirm.html", context)

    def dashboard_view(self, request):
        """Today's issue at a glance: counts by status and what still blocks publication."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        bulletin = Bulletin.objects.filter(issued_on=today).first()
        counts, checks, allowed = [], None, []
        if bulletin is not None:
            by_status = dict(
                bulletin.items.values_list("status").annotate(n=Count("pk")).order_by()
            )
            counts = [
                (label, by_status.get(value, 0), value) for value, label in ItemStatus.choices
            ]
            checks = workflow.prepublish_checks(bulletin)
            allowed = workflow.allowed_bulletin_actions(request.user, bulletin)
        upcoming = Bulletin.objects.exclude(
            status__in=[*workflow.LOCKED_BULLETIN_STATUSES]
        ).order_by("issued_on")[:10]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("今日看板"),
            "today": today,
            "bulletin": bulletin,
            "counts": counts,
            "checks": checks,
            "allowed": allowed,
            "wf_labels": workflow.ACTION_LABELS,
            "upcoming": upcoming,
            "queue_size": workflow.decidable_items(request.user).count(),
            "may_review": workflow.can(request.user, "approve"),
            "sent_back_size": comments.sent_back_to(request.user).count()
            if workflow.can(request.user, "edit")
            else 0,
            "can_add": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/bulletins/dashboard.html", context)


def _parse_local_datetime(value: str) -> dt.datetime:
    """A ``datetime-local`` value, read in the publication's time zone (Asia/Shanghai)."""
    try:
        naive = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise workflow.TransitionNotAllowed(
            _("请填写发布时间,例如 2026-03-18 08:00。"), code="invalid"
        ) from exc
    if timezone.is_aware(naive):
        return naive
    return timezone.make_aware(naive, timezone.get_current_timezone())


# The admin's front page links the two pages editors start their day with.
admin.site.index_template = "admin/bulletins/index.html"
