"""Admin for the editorial work: bulletins, items, history, the review queue and the dashboard.

Nothing here writes a status: every save and every button calls ``bulletins.workflow``, and a
refused transition comes back as a message. Forms carry the version the user loaded; a save
over somebody else's newer version is refused *in form validation*, inside the admin's
transaction with the row locked, so the page re-renders with the user's own text and an
error instead of a redirect that would lose it.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import preview, sections, workflow
from ..models import (
    Bulletin,
    BulletinStatus,
    Correction,
    Item,
    ItemEntity,
    ItemRevision,
    ItemStatus,
    PublicationSettings,
    Section,
    Transition,
)

try:  # the entities engineer's inline (with autocomplete and confirmation), when it exists
    from .entities import ItemEntityInline
except ImportError:  # pragma: no cover - interim fallback until bulletins/admin/entities.py has it

    class ItemEntityInline(admin.TabularInline):
        model = ItemEntity
        extra = 0
        autocomplete_fields = ["entity"]


ENTITY_SUGGESTIONS_TEMPLATE = "admin/bulletins/_entity_suggestions.html"

# Labels of log entries that are not user actions of workflow.ACTIONS.
LOG_LABELS = {
    "create": gettext_lazy("创建"),
    "edit": gettext_lazy("修改"),
    "auto": gettext_lazy("自动"),
}
STATUS_LABELS = {**dict(ItemStatus.choices), **dict(BulletinStatus.choices)}


def action_label(action: str) -> str:
    return str(workflow.ACTION_LABELS.get(action) or LOG_LABELS.get(action) or action)


def _back(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def _copy_row(target, source) -> None:
    """Make the admin's in-memory object the row the workflow wrote (it goes on to log it)."""
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db


def _has_template(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


# ----------------------------------------------------------------------------- forms


class VersionedForm(forms.ModelForm):
    """A model form that refuses to save over a version the user never saw.

    ``clean()`` locks the row (the admin validates and saves in one transaction) and
    compares its version with the one the page was loaded with. On a conflict the form
    is re-rendered with the user's text and an error quoting what is saved now; the hidden
    version is moved to the current one, so that saving again is a deliberate overwrite.
    """

    expected_version = forms.IntegerField(
        label=gettext_lazy("打开时的版本"), widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = self.instance.version

    def content_changed(self) -> list[str]:
        return [name for name in self.changed_data if name != "expected_version"]

    def describe_current(self, current) -> str:
        return ""

    def clean(self):
        cleaned = super().clean()
        refusal = getattr(self, "wf_refusal", None)
        if refusal:  # see KeepTextOnRefusal
            raise ValidationError(refusal, code="refused")
        if self.instance.pk is None or not self.content_changed():
            return cleaned
        model = type(self.instance)
        current = model.objects.select_for_update().get(pk=self.instance.pk)
        try:
            workflow.check_version(current, cleaned.get("expected_version"))
        except workflow.TransitionNotAllowed as exc:
            self.data = self.data.copy()
            self.data[self.add_prefix("expected_version")] = current.version
            raise ValidationError(
                "%(message)s %(current)s",
                code="conflict",
                params={"message": exc.message, "current": self.describe_current(current)},
            ) from exc
        return cleaned


class ItemForm(VersionedForm):
    class Meta:
        model = Item
        fields = ["bulletin", *workflow.EDITABLE_FIELDS]

    def describe_current(self, current) -> str:
        return _("现在保存的正文是:「%(body)s」;标题:「%(headline)s」。") % {
            "body": current.body,
            "headline": current.headline,
        }


class ItemInlineForm(ItemForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An existing item changes section by dragging it; a new one picks its section here.
        if self.instance.pk is not None and "section" in self.fields:
            self.fields["section"].disabled = True


class BulletinForm(VersionedForm):
    # "item_id:section_id,…" in the order the rows were dragged into; empty when untouched.
    item_order = forms.CharField(
        label=gettext_lazy("条目顺序"), widget=forms.HiddenInput, required=False
    )

    class Meta:
        model = Bulletin
        fields = ["issued_on", "dateline"]

    def content_changed(self) -> list[str]:
        return [n for n in super().content_changed() if n != "item_order"]

    def describe_current(self, current) -> str:
        return _("现在保存的电头是:「%(dateline)s」。") % {"dateline": current.dateline}

    def clean_item_order(self) -> list[tuple[int, int]] | None:
        raw = self.cleaned_data.get("item_order", "").strip()
        if not raw:
            return None
        try:
            pairs = [tuple(int(n) for n in part.split(":")) for part in raw.split(",")]
        except ValueError as exc:
            raise ValidationError(_("条目顺序无法识别。"), code="invalid") from exc
        if any(len(pair) != 2 for pair in pairs):
            raise ValidationError(_("条目顺序无法识别。"), code="invalid")
        return pairs


class KeepTextOnRefusal:
    """When the workflow refuses a save the form could not foresee (a guard inside the
    service), the admin's transaction rolls back and the page is rendered again from the
    same POST, with the refusal as the form's error: the user's text stays on screen."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "_wf_refusal", None)
        if refusal:
            form = type(form.__name__, (form,), {"wf_refusal": refusal})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.TransitionNotAllowed as exc:
            if request.method != "POST" or getattr(request, "_wf_refusal", None):
                raise
            request._wf_refusal = exc.message
            return super().changeform_view(request, object_id, form_url, extra_context)


# ----------------------------------------------------------------------------- simple admins


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


# ----------------------------------------------------------------------------- bulletins


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
        return fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("section", "bulletin", "created_by", "updated_by")
            .prefetch_related(
                Prefetch("entity_links", queryset=ItemEntity.objects.select_related("entity"))
            )
        )

    def get_formset(self, request, obj=None, **kwargs):
        self.request = request  # inline instances are made per request; buttons need the user
        formset = super().get_formset(request, obj, **kwargs)
        body = formset.form.base_fields.get("body")
        if body is not None:
            body.widget = forms.Textarea(attrs={"rows": 3, "cols": 60})
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


def item_action_buttons(request, item: Item, *, form_id: str) -> str:
    """Buttons for the item transitions this user may make, posting to a form outside the
    admin's main form (HTML forms do not nest; ``form=`` attaches them to it)."""
    allowed = workflow.allowed_item_actions(request.user, item)
    if not allowed:
        return ""
    url = reverse("admin:bulletins_item_act", args=[item.pk, "_"])[:-2]
    parts = []
    if "request_changes" in allowed:
        parts.append(
            format_html(
                '<input type="text" name="comment_{}" form="{}" placeholder="{}" size="14">',
                item.pk,
                form_id,
                _("意见(退回时必填)"),
            )
        )
    for action in allowed:
        # Spiking takes the item out of the issue (恢复为草稿 brings it back): ask first.
        confirm = _("弃用后这条不会发布(仍保留记录)。确定弃用?") if action == "spike" else ""
        parts.append(
            format_html(
                '<button type="submit" class="button wf-btn wf-btn-{}" form="{}" '
                'formaction="{}{}/" name="item" value="{}"{}>{}</button>',
                action,
                form_id,
                url,
                action,
                item.pk,
                format_html(' data-confirm="{}"', confirm) if confirm else "",
                workflow.ACTION_LABELS[action],
            )
        )
    return format_html_join("", "{}", ((p,) for p in parts))


@admin.register(Bulletin)
class BulletinAdmin(KeepTextOnRefusal, admin.ModelAdmin):
    form = BulletinForm
    change_form_template = "admin/bulletins/bulletin/change_form.html"
    change_list_template = "admin/bulletins/bulletin/change_list.html"
    date_hierarchy = "issued_on"
    list_display = ["issued_on", "status_badge", "publish_at", "item_count", "updated_by"]
    list_filter = ["status"]
    inlines = [ItemInline]
    save_on_top = True

    class Media:
        css = {"all": ["admin-extra/workflow.css"]}
        js = ["admin-extra/workflow.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_items=Count("items"))

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
            _copy_row(obj, created)
            return
        if "dateline" in form.content_changed():
            saved = workflow.edit_bulletin(
                obj,
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                dateline=form.cleaned_data["dateline"],
            )
            _copy_row(obj, saved)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Item:
            return super().save_formset(request, form, formset, change)
        bulletin = form.instance
        for item_form in formset.initial_forms:
            changes = {
                name: item_form.cleaned_data[name]
                for name in item_form.content_changed()
                if name in workflow.EDITABLE_FIELDS
            }
            if changes:
                workflow.edit_item(
                    item_form.instance,
                    by=request.user,
                    expected_version=item_form.cleaned_data["expected_version"],
                    **changes,
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
        transitions = list(
            bulletin.transitions.select_related("by", "item__section").order_by("-at", "-pk")
        )
        for t in transitions:
            t.action_label = action_label(t.action)
            t.from_label = STATUS_LABELS.get(t.from_status, t.from_status)
            t.to_label = STATUS_LABELS.get(t.to_status, t.to_status)
        allowed = workflow.allowed_bulletin_actions(request.user, bulletin)
        correctable = []
        if "correct" in allowed:
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
                "<path:object_id>/act/<str:action>/",
                wrap(self.action_view),
                name="bulletins_bulletin_act",
            ),
            path(
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name="bulletins_bulletin_preview",
            ),
            path(
                "<path:object_id>/export/<str:format>/",
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
        if format != "html":  # the fragment is shown; the text formats are files to keep
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
            elif action == "retract":
                workflow.retract(bulletin, by=by, comment=post.get("comment", ""))
                done = _("已撤回。")
            else:
                raise workflow.TransitionNotAllowed(_("未知的操作。"), code="invalid")
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return _back(request, back)

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


# ----------------------------------------------------------------------------- items


@admin.register(Item)
class ItemAdmin(KeepTextOnRefusal, admin.ModelAdmin):
    form = ItemForm
    change_form_template = "admin/bulletins/item/change_form.html"
    change_list_template = "admin/bulletins/item/change_list.html"
    list_display = [
        "short_text",
        "bulletin",
        "section",
        "position",
        "status_badge",
        "headline",
        "updated_by",
    ]
    list_filter = ["status", "section", "event_kind"]
    list_select_related = ["bulletin", "section", "updated_by"]
    date_hierarchy = "bulletin__issued_on"
    search_fields = ["body", "headline"]
    readonly_fields = ["status", "version", "created_by", "updated_by"]
    inlines = [ItemEntityInline]
    actions = ["submit_selected", "approve_selected", "spike_selected"]

    class Media:
        css = {"all": ["admin-extra/workflow.css"]}
        js = ["admin-extra/workflow.js"]

    def get_fields(self, request, obj=None):
        fields = [
            "bulletin",
            "section",
            "body",
            "headline",
            "headline_rank",
            "event_kind",
            "financing_round",
            "facts",
            "sources",
            "image",
        ]
        if obj is not None:
            fields += ["position", "status", "version", "created_by", "updated_by"]
            if self.has_change_permission(request, obj):
                fields.append("expected_version")
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["bulletin", *self.readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bulletin":
            kwargs["queryset"] = Bulletin.objects.exclude(
                status__in=workflow.LOCKED_BULLETIN_STATUSES
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and workflow.can(request.user, "edit")

    def has_change_permission(self, request, obj=None):
        if not (super().has_change_permission(request, obj) and workflow.can(request.user, "edit")):
            return False
        return obj is None or obj.bulletin.status not in workflow.LOCKED_BULLETIN_STATUSES

    def has_delete_permission(self, request, obj=None):
        return False

    def view_on_site(self, obj):
        return (
            obj.get_absolute_url() if Item.objects.published().filter(pk=obj.pk).exists() else None
        )

    @admin.display(description=gettext_lazy("正文"))
    def short_text(self, obj):
        return obj.body[:40] or "-"

    @admin.display(description=gettext_lazy("状态"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="wf-status wf-{}">{}</span>', obj.status, obj.get_status_display()
        )

    # -- saving goes through the workflow

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            item = workflow.add_item(
                data["bulletin"],
                by=request.user,
                section=data["section"],
                body=data.get("body", ""),
                headline=data.get("headline", ""),
                headline_rank=data.get("headline_rank"),
                event_kind=data.get("event_kind", ""),
                financing_round=data.get("financing_round", ""),
                facts=data.get("facts") or {},
                sources=data.get("sources") or [],
            )
            if data.get("image"):
                item = workflow.edit_item(
                    item, by=request.user, expected_version=item.version, image=data["image"]
                )
            _copy_row(obj, item)
            return
        changes = {
            name: data[name] for name in form.content_changed() if name in workflow.EDITABLE_FIELDS
        }
        if changes:
            saved = workflow.edit_item(
                obj, by=request.user, expected_version=data["expected_version"], **changes
            )
            _copy_row(obj, saved)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if item is not None and self.has_view_permission(request, item):
            extra_context["wf_item_actions"] = item_action_buttons(
                request, item, form_id="wf-item-form"
            )
            extra_context["wf_transitions"] = _labelled(
                item.transitions.select_related("by").order_by("-at", "-pk")
            )
            extra_context["wf_revisions_url"] = reverse(
                "admin:bulletins_item_revisions", args=[item.pk]
            )
            if _has_template(ENTITY_SUGGESTIONS_TEMPLATE) and self.has_change_permission(
                request, item
            ):
                extra_context["entity_suggestions_template"] = ENTITY_SUGGESTIONS_TEMPLATE
                extra_context["item"] = item
                extra_context["suggestions"] = _entity_suggestions(item)
        return super().change_view(request, object_id, form_url, extra_context)

    # -- bulk actions (each item goes through the workflow on its own; refusals are reported)

    def _bulk(self, request, queryset, action: str, func, **kwargs):
        done = 0
        for item in queryset.select_related("bulletin"):
            try:
                func(item, by=request.user, **kwargs)
                done += 1
            except workflow.TransitionNotAllowed as exc:
                messages.error(request, f"#{item.pk}: {exc.message}")
        if done:
            messages.success(
                request,
                _("%(action)s:%(n)s 条。") % {"action": workflow.ACTION_LABELS[action], "n": done},
            )

    # Bulk actions are offered by role (workflow.can); four eyes is checked item by item.
    def has_submit_permission(self, request):
        return workflow.can(request.user, "submit")

    def has_approve_permission(self, request):
        return workflow.can(request.user, "approve")

    def has_spike_permission(self, request):
        return workflow.can(request.user, "spike")

    @admin.action(description=gettext_lazy("提交所选条目审核"), permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, "submit", workflow.submit_item)

    @admin.action(description=gettext_lazy("审核通过所选条目"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, "approve", workflow.approve_item)

    @admin.action(description=gettext_lazy("弃用所选条目"), permissions=["spike"])
    def spike_selected(self, request, queryset):
        self._bulk(request, queryset, "spike", workflow.spike_item)

    # -- extra pages

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("review/", wrap(self.review_view), name="bulletins_item_review"),
            path(
                "<path:object_id>/act/<str:action>/",
                wrap(self.action_view),
                name="bulletins_item_act",
            ),
            path(
                "<path:object_id>/revisions/",
                wrap(self.revisions_view),
                name="bulletins_item_revisions",
            ),
            *super().get_urls(),
        ]

    def _item_or_403(self, request, object_id) -> Item:
        item = get_object_or_404(Item.objects.select_related("bulletin", "section"), pk=object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        return item

    def _decide(self, request, item: Item, action: str, comment: str) -> bool:
        funcs = {
            "submit": workflow.submit_item,
            "approve": workflow.approve_item,
            "request_changes": workflow.request_changes,
            "spike": workflow.spike_item,
            "unspike": workflow.unspike_item,
        }
        try:
            if action not in funcs:
                raise workflow.TransitionNotAllowed(_("未知的操作。"), code="invalid")
            funcs[action](item, by=request.user, comment=comment)
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, f"{_short(item)}:{exc.message}")
            return False
        return True

    def action_view(self, request, object_id, action):
        """One item transition, from a button on the item, bulletin or queue page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = self._item_or_403(request, object_id)
        comment = request.POST.get(f"comment_{item.pk}") or request.POST.get("comment", "")
        if self._decide(request, item, action, comment):
            messages.success(
                request,
                _("%(item)s:%(action)s。")
                % {"item": _short(item), "action": workflow.ACTION_LABELS[action]},
            )
        return _back(request, reverse("admin:bulletins_item_change", args=[item.pk]))

    def review_view(self, request):
        """Items submitted by others that this user may decide, oldest first; one click each,
        or several at once with one comment."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            post = request.POST
            if post.get("decide"):  # one row's button: "approve:12"
                action, _sep, pk = post["decide"].partition(":")
                pairs = [(action, pk, post.get(f"comment_{pk}", ""))]
            else:
                action = post.get("bulk", "")
                pairs = [(action, pk, post.get("comment", "")) for pk in post.getlist("ids")]
                if not pairs:
                    messages.warning(request, _("请先勾选条目。"))
            done = 0
            for action, pk, comment in pairs:
                item = Item.objects.select_related("bulletin").filter(pk=pk).first()
                if item is None:
                    continue
                done += self._decide(request, item, action, comment)
            if done:
                messages.success(request, _("已处理 %(n)s 条。") % {"n": done})
            return HttpResponseRedirect(reverse("admin:bulletins_item_review"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("审核队列"),
            "items": list(workflow.decidable_items(request.user)[:200]),
            "may_decide": workflow.can(request.user, "approve"),
        }
        return TemplateResponse(request, "admin/bulletins/review_queue.html", context)

    def revisions_view(self, request, object_id):
        """Every kept text of an item, each compared with the one before; restore any."""
        item = self._item_or_403(request, object_id)
        if request.method == "POST":
            revision = get_object_or_404(ItemRevision, pk=request.POST.get("revision"), item=item)
            try:
                workflow.restore_revision(
                    item,
                    by=request.user,
                    revision=revision,
                    expected_version=int(request.POST.get("expected_version") or 0),
                )
            except workflow.TransitionNotAllowed as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("已恢复到版本 %(v)s。") % {"v": revision.version})
            return HttpResponseRedirect(reverse("admin:bulletins_item_revisions", args=[item.pk]))
        revisions = list(item.revisions.select_related("by").order_by("-version"))
        rows = []
        for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
            rows.append(
                {
                    "revision": newer,
                    "diff": workflow.revision_diff(older, newer) if older else None,
                    "diff_to_current": workflow.revision_diff(newer, item),
                    "is_current": newer.body == item.body and newer.headline == item.headline,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("修订历史"),
            "original": item,
            "item": item,
            "rows": rows,
            "may_restore": workflow.can(request.user, "edit")
            and item.bulletin.status not in workflow.LOCKED_BULLETIN_STATUSES,
        }
        return TemplateResponse(request, "admin/bulletins/item/revisions.html", context)


def _entity_suggestions(item: Item) -> list:
    """Suggestions not yet confirmed (the entities module's), else everything the linker sees."""
    try:
        from ..entities import pending_suggestions
    except ImportError:  # pragma: no cover - before bulletins/entities.py existed
        from ..linking import suggest_for_item as pending_suggestions
    return pending_suggestions(item)


def _short(item: Item) -> str:
    return f"{item.section.name} #{item.position}「{item.body[:16]}」"


def _labelled(transitions):
    rows = list(transitions)
    for t in rows:
        t.action_label = action_label(t.action)
        t.from_label = STATUS_LABELS.get(t.from_status, t.from_status)
        t.to_label = STATUS_LABELS.get(t.to_status, t.to_status)
    return rows


# ----------------------------------------------------------------------------- history


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    list_display = ["at", "bulletin", "item", "action_name", "from_status", "to_status", "by"]
    list_filter = ["action"]
    list_select_related = ["bulletin", "item__bulletin", "item__section", "by"]

    @admin.display(description=gettext_lazy("操作"), ordering="action")
    def action_name(self, obj):
        return action_label(obj.action)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ItemRevision)
class ItemRevisionAdmin(admin.ModelAdmin):
    list_display = ["item", "version", "by", "at", "note"]
    list_select_related = ["item__bulletin", "item__section", "by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    """Read-only: a correction is made with the 更正 button, which goes through the workflow."""

    list_display = ["bulletin", "created_at", "note", "created_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The admin's front page links the two pages editors start their day with.
admin.site.index_template = "admin/bulletins/index.html"
