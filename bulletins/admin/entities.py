"""Admin for the gazetteer: entities, their aliases, merges, import/export, item suggestions.

Every write calls ``bulletins.entities`` (permissions, linker version, search re-index live
there). Curating entities is for the chief editor (``manage_entities``); editors see the
list, may add an entity (a suggestion), and link entities to items from the item form.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import entities, workflow
from ..models import DismissedCandidate, Entity, EntityAlias, Item, ItemEntity, LinkSource
from ..readmodels import EntityMentionTotal
from ..roles import is_staff_member
from . import scaling
from .scaling import TenYearAdmin

# ----------------------------------------------------------------------------- item form


class ItemEntityFormSet(BaseInlineFormSet):
    """Saves the item's entity links through ``bulletins.entities`` (permissions, re-index)."""

    user = None  # set per request by ItemEntityInline.get_formset

    def save_new(self, form, commit=True):
        data = form.cleaned_data
        return entities.save_link(
            self.instance,
            data["entity"],
            by=self.user,
            role=data.get("role", ""),
            is_confirmed=data.get("is_confirmed", True),
        )

    def save_existing(self, form, obj, commit=True):
        data = form.cleaned_data
        previous = form.initial.get("entity")
        replaces = Entity.objects.filter(pk=previous).first() if previous else None
        return entities.save_link(
            self.instance,
            data["entity"],
            by=self.user,
            role=data.get("role", ""),
            is_confirmed=data.get("is_confirmed", True),
            source=obj.source,
            replaces=replaces,
        )

    def delete_existing(self, obj, commit=True):
        if commit:
            entities.unlink(self.instance, obj.entity, by=self.user)


# The roles a link may have (stored as codes; facts.roles_by_name writes the first three).
LINK_ROLES = [
    ("", gettext_lazy("(未指定)")),
    ("lead_investor", gettext_lazy("领投方")),
    ("investor", gettext_lazy("投资方")),
    ("regulator", gettext_lazy("监管机构")),
    ("old_investor", gettext_lazy("老股东")),
    ("buyer", gettext_lazy("收购方")),
    ("target", gettext_lazy("被收购方")),
    ("licensor", gettext_lazy("授权方")),
    ("licensee", gettext_lazy("被授权方")),
    ("partner", gettext_lazy("合作方")),
]


class RoleSelect(forms.Select):
    """The roles by their Chinese names; a stored code outside the list is kept as it is."""

    def optgroups(self, name, value, attrs=None):
        known = {str(code) for code, _label in self.choices}
        extra = [(v, v) for v in value if v and v not in known]
        if extra:
            self.choices = [*self.choices, *extra]
        return super().optgroups(name, value, attrs)


class ItemEntityInline(admin.TabularInline):
    """The item's entities: autocomplete, role, confirmation; saved through the services."""

    model = ItemEntity
    formset = ItemEntityFormSet
    extra = 0
    autocomplete_fields = ["entity"]
    fields = ["entity", "role", "source", "is_confirmed"]
    readonly_fields = ["source"]
    verbose_name = gettext_lazy("关联实体")
    verbose_name_plural = gettext_lazy("关联实体")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entity")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "role":
            return forms.CharField(
                label=db_field.verbose_name,
                required=False,
                max_length=db_field.max_length,
                widget=RoleSelect(choices=LINK_ROLES),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"user": request.user})


# ----------------------------------------------------------------------------- entities


class EntityAliasInline(admin.TabularInline):
    model = EntityAlias
    extra = 1
    fields = ["alias", "kind"]


class MergedFilter(admin.SimpleListFilter):
    title = gettext_lazy("合并状态")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", _("有效")), ("yes", _("已合并"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.live()
        if self.value() == "yes":
            return queryset.filter(merged_into__isnull=False)
        return queryset


class MentionFilter(admin.SimpleListFilter):
    title = gettext_lazy("提及")
    parameter_name = "mentioned"

    def lookups(self, request, model_admin):
        return [("yes", _("有条目提及")), ("no", _("无条目提及"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(mention_count__gt=0)
        if self.value() == "no":
            return queryset.filter(mention_count=0)
        return queryset


class DiscoveredFilter(admin.SimpleListFilter):
    """Entities an import created from high-confidence discoveries, until the chief editor
    has checked them (rename, merge, delete, or mark them curated)."""

    title = gettext_lazy("自动发现,待整理")
    parameter_name = "discovered"

    def lookups(self, request, model_admin):
        return [("yes", _("待整理")), ("no", _("非自动发现或已整理"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_discovered=True)
        if self.value() == "no":
            return queryset.filter(is_discovered=False)
        return queryset


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Entity.objects.live(),
        label=gettext_lazy("合并到"),
        help_text=gettext_lazy("保留的实体;被合并实体的名称成为它的别名,旧链接跳转到它。"),
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("实体 ID")}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件"), help_text=gettext_lazy("JSON 或 CSV"))
    format = forms.ChoiceField(
        label=gettext_lazy("格式"), choices=[("json", "JSON"), ("csv", "CSV")]
    )


def _back(request, item=None):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    if item is not None:
        return HttpResponseRedirect(reverse("admin:bulletins_item_change", args=[item.pk]))
    return HttpResponseRedirect(reverse("admin:bulletins_entity_changelist"))


@admin.register(Entity)
class EntityAdmin(TenYearAdmin, admin.ModelAdmin):
    list_display = ["name", "name_en", "type", "mention_count", "alias_list", "parent", "slug"]
    list_filter = ["type", DiscoveredFilter, MergedFilter, MentionFilter]
    list_select_related = ["parent"]
    search_fields = ["name", "name_en", "aliases__alias", "slug", "ticker", "inn"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["merged_into", "created_at", "updated_at", "discovered_display"]
    fields = [
        "type",
        "name",
        "name_en",
        "slug",
        "parent",
        "ticker",
        "inn",
        "description",
        "logo",
        "external_ids",
        "discovered_display",
        "merged_into",
        "created_at",
        "updated_at",
    ]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [EntityAliasInline]
    actions = ["merge_selected", "mark_curated", "export_json", "export_csv"]
    change_list_template = "admin/bulletins/entity_change_list.html"
    change_form_template = "admin/bulletins/entity_change_form.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.path.endswith("/autocomplete/"):  # names only: fast as one types
            return queryset.only("pk", "name", "type", "merged_into_id")
        # Published mentions from the read model (readmodels.EntityMentionTotal): one indexed
        # lookup per listed entity instead of counting 255,000 links for every page.
        published = (
            EntityMentionTotal.objects.visible()
            .filter(entity=OuterRef("pk"))
            .order_by()
            .values("entity")
            .annotate(total=Sum("n"))
            .values("total")
        )
        return queryset.annotate(
            mention_count=Coalesce(Subquery(published), Value(0))
        ).prefetch_related("aliases")

    def get_search_results(self, request, queryset, search_term):
        # Names and aliases without a join (no DISTINCT over 5,000 entities × their aliases).
        queryset = scaling.search_entities(queryset, search_term)
        if request.path.endswith("/autocomplete/"):
            # The autocomplete of the item form offers live entities only.
            queryset = queryset.live()
        return queryset, False

    @admin.display(description=gettext_lazy("已发布提及"), ordering="mention_count")
    def mention_count(self, obj):
        return obj.mention_count

    @admin.display(description=gettext_lazy("别名"))
    def alias_list(self, obj):
        return "、".join(a.alias for a in obj.aliases.all()[:6])

    # -- permissions: editors view and suggest; the chief editor curates

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        # The same rule as POST /api/v1/entities/ (entities.create_entity).
        return workflow.can(request.user, "create_entity")

    def has_change_permission(self, request, obj=None):
        return workflow.can(request.user, "manage_entities")

    def has_delete_permission(self, request, obj=None):
        return workflow.can(request.user, "manage_entities")

    def has_manage_entities_permission(self, request):
        return workflow.can(request.user, "manage_entities")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "slug" in form.base_fields:
            form.base_fields["slug"].required = False
            form.base_fields["slug"].help_text = _("留空则按名称的拼音生成,例如 heng-rui-yi-yao。")
        return form

    def save_model(self, request, obj, form, change):
        if not obj.slug:
            obj.slug = entities.unique_slug(obj.name_en or obj.name, exclude_pk=obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        entities.entity_renamed(form.instance)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        entities.linking.bump_version()

    # -- discoveries an import created

    # Read-only for everyone: the chief clears it with the 标记为已整理 action
    # (entities.mark_curated, logged), not by unticking a box. 是/否 rather than Django's
    # boolean icon, whose alt text is English.
    @admin.display(description=gettext_lazy("自动发现,待整理"))
    def discovered_display(self, obj):
        return _("是") if obj.is_discovered else _("否")

    @admin.action(
        description=gettext_lazy("标记为已整理(自动发现)"), permissions=["manage_entities"]
    )
    def mark_curated(self, request, queryset):
        n = entities.mark_curated(queryset, by=request.user)
        self.message_user(
            request, _("已将 %(n)s 个自动发现的实体标记为已整理。") % {"n": n}, messages.SUCCESS
        )

    # -- merge

    @admin.action(description=gettext_lazy("合并所选实体"), permissions=["manage_entities"])
    def merge_selected(self, request, queryset):
        queryset = queryset.live()
        if queryset.count() < 2:
            self.message_user(request, _("请至少选择两个未合并的实体。"), messages.WARNING)
            return None
        if request.POST.get("post") == "yes":
            target = queryset.filter(pk=request.POST.get("target")).first()
            if target is None:
                self.message_user(request, _("请选择要保留的实体。"), messages.ERROR)
                return None
            try:
                with transaction.atomic():
                    for source in queryset.exclude(pk=target.pk):
                        entities.merge(source, target, by=request.user)
            except workflow.TransitionNotAllowed as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            self.message_user(
                request,
                _("已合并到“%(name)s”。") % {"name": target.name},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/bulletins/entity_merge.html",
            {
                **self.admin_site.each_context(request),
                "title": _("合并实体"),
                "opts": self.opts,
                "entities": queryset.order_by("-mention_count", "pk"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "action": "merge_selected",
            },
        )

    def merge_view(self, request, object_id):
        source = get_object_or_404(Entity, pk=object_id)
        if not workflow.can(request.user, "manage_entities"):
            messages.error(request, _("只有主编可以维护实体库。"))
            return HttpResponseRedirect(reverse("admin:bulletins_entity_changelist"))
        form = MergeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                target = entities.merge(source, form.cleaned_data["target"], by=request.user)
            except workflow.TransitionNotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("“%(source)s”已合并到“%(target)s”。")
                    % {"source": source.name, "target": target.name},
                )
                return HttpResponseRedirect(
                    reverse("admin:bulletins_entity_change", args=[target.pk])
                )
        return TemplateResponse(
            request,
            "admin/bulletins/entity_merge_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("合并“%(name)s”") % {"name": source.name},
                "opts": self.opts,
                "original": source,
                "form": form,
            },
        )

    # -- import / export

    @admin.action(description=gettext_lazy("导出所选实体(JSON)"))
    def export_json(self, request, queryset):
        return self._download(entities.to_json(entities.export_entities(queryset)), "json")

    @admin.action(description=gettext_lazy("导出所选实体(CSV)"))
    def export_csv(self, request, queryset):
        return self._download(entities.to_csv(entities.export_entities(queryset)), "csv")

    def _download(self, text, format):
        content_type = "application/json" if format == "json" else "text/csv"
        response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="entities.{format}"'
        return response

    def export_view(self, request):
        # Every entity, unpublished-only ones included: for the editorial roles only, like
        # the list it is exported from.
        if not self.has_view_permission(request):
            raise PermissionDenied
        format = request.GET.get("format", "json")
        rows = entities.export_entities()
        if format == "csv":
            return self._download(entities.to_csv(rows), "csv")
        return self._download(entities.to_json(rows), "json")

    def import_view(self, request):
        if not workflow.can(request.user, "manage_entities"):
            messages.error(request, _("只有主编可以维护实体库。"))
            return HttpResponseRedirect(reverse("admin:bulletins_entity_changelist"))
        form = ImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8-sig")
                rows = entities.read_rows(text, format=form.cleaned_data["format"])
                report = entities.import_entities(rows, by=request.user)
            except UnicodeDecodeError:
                form.add_error("file", _("文件不是 UTF-8 编码。"))
            except entities.EntityImportError as exc:
                errors = exc.errors
            except workflow.TransitionNotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("导入完成:新建 %(created)s 个,更新 %(updated)s 个,新增别名 %(aliases)s 个。")
                    % {
                        "created": len(report.created),
                        "updated": len(report.updated),
                        "aliases": report.aliases_added,
                    },
                )
                return HttpResponseRedirect(reverse("admin:bulletins_entity_changelist"))
        return TemplateResponse(
            request,
            "admin/bulletins/entity_import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("导入实体"),
                "opts": self.opts,
                "form": form,
                "errors": errors,
            },
        )

    # -- suggestions on the item form (see admin/bulletins/_entity_suggestions.html)

    def accept_suggestion_view(self, request):
        """POST item + entity: the linker's suggestion becomes a confirmed link."""
        if request.method != "POST":
            return HttpResponse(status=405)
        item = get_object_or_404(Item.objects.select_related("bulletin"), pk=_int(request, "item"))
        entity = get_object_or_404(Entity, pk=_int(request, "entity"))
        try:
            entities.link(item, entity, by=request.user, source=LinkSource.LINKER)
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已关联实体“%(name)s”。") % {"name": entity.name})
        return _back(request, item)

    def create_from_name_view(self, request):
        """POST item + name + type: a name selected in the text becomes a linked entity."""
        if request.method != "POST":
            return HttpResponse(status=405)
        item = get_object_or_404(Item.objects.select_related("bulletin"), pk=_int(request, "item"))
        try:
            entity, created = entities.create_entity_from_name(
                item,
                by=request.user,
                name=request.POST.get("name", ""),
                type=request.POST.get("type", ""),
            )
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            message = _("已新建并关联实体“%(name)s”。") if created else _("已关联实体“%(name)s”。")
            messages.success(request, message % {"name": entity.name})
        return _back(request, item)

    def create_candidate_view(self, request):
        """POST item + name + type (+ aliases): a candidate becomes an entity, linked in the issue."""
        if request.method != "POST":
            return HttpResponse(status=405)
        item = get_object_or_404(Item.objects.select_related("bulletin"), pk=_int(request, "item"))
        aliases = [a for a in request.POST.get("aliases", "").split("|") if a.strip()]
        try:
            entity, created, linked = entities.create_from_candidate(
                item,
                by=request.user,
                name=request.POST.get("name", ""),
                type=request.POST.get("type", ""),
                aliases=aliases,
            )
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            message = (
                _("已新建实体“%(name)s”,并关联到本期 %(n)s 条条目。")
                if created
                else _("已有实体“%(name)s”,已关联到本期 %(n)s 条条目。")
            )
            messages.success(request, message % {"name": entity.name, "n": len(linked)})
        return _back(request, item)

    def dismiss_candidate_view(self, request):
        """POST name: not an entity; never proposed again."""
        if request.method != "POST":
            return HttpResponse(status=405)
        item = Item.objects.filter(pk=_int(request, "item")).first()
        name = request.POST.get("name", "")
        try:
            entities.dismiss_candidate(name, by=request.user)
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(name)s”不会再作为候选名称提示。") % {"name": name})
        return _back(request, item)

    def apply_facts_view(self, request):
        """POST item: fill its empty event kind, round and facts from its text."""
        if request.method != "POST":
            return HttpResponse(status=405)
        item = get_object_or_404(Item.objects.select_related("bulletin"), pk=_int(request, "item"))
        version = item.version
        try:
            item = entities.apply_fact_suggestions(item, by=request.user)
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            if item.version == version:
                messages.info(request, _("没有可以补充的事件类型或事实。"))
            else:
                messages.success(request, _("已按正文补充事件类型与事实,请核对。"))
        return _back(request, item)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "suggestions/accept/",
                wrap(self.accept_suggestion_view),
                name="bulletins_entity_accept_suggestion",
            ),
            path(
                "suggestions/create/",
                wrap(self.create_from_name_view),
                name="bulletins_entity_create_from_name",
            ),
            path(
                "suggestions/candidate/",
                wrap(self.create_candidate_view),
                name="bulletins_entity_create_candidate",
            ),
            path(
                "suggestions/dismiss/",
                wrap(self.dismiss_candidate_view),
                name="bulletins_entity_dismiss_candidate",
            ),
            path(
                "suggestions/facts/",
                wrap(self.apply_facts_view),
                name="bulletins_entity_apply_facts",
            ),
            path("import/", wrap(self.import_view), name="bulletins_entity_import"),
            path("export/", wrap(self.export_view), name="bulletins_entity_export"),
            path("<int:object_id>/merge/", wrap(self.merge_view), name="bulletins_entity_merge"),
            *super().get_urls(),
        ]


def _int(request, name) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return 0


@admin.register(DismissedCandidate)
class DismissedCandidateAdmin(admin.ModelAdmin):
    """Names editors said are not entities (never proposed again). The chief editor may delete
    one so discovery proposes it again; dismissing happens on the item page."""

    list_display = ("name", "by", "at")
    search_fields = ("name",)
    readonly_fields = ("name", "by", "at")

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return workflow.can(request.user, "manage_entities")
