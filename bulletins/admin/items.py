"""The editorial admin for items: the item page with its transitions, entity suggestions
and revision history, bulk actions and the review queue.

Nothing here writes a status: every save and every button calls ``bulletins.workflow``, and
a refused transition comes back as a message.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import comments, entities, notifications, workflow
from ..models import (
    Bulletin,
    Item,
    ItemComment,
    ItemRevision,
)
from ..roles import is_staff_member
from .entities import ItemEntityInline
from .forms import ItemForm, KeepTextOnRefusal, copy_row, redirect_back
from .history import labelled
from .scaling import IssueYearFilter, TenYearAdmin, search_items

ENTITY_SUGGESTIONS_TEMPLATE = "admin/bulletins/_entity_suggestions.html"


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


def short_label(item: Item) -> str:
    return f"{item.section.name} #{item.position}「{item.body[:16]}」"


@admin.register(Item)
class ItemAdmin(TenYearAdmin, KeepTextOnRefusal, admin.ModelAdmin):
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
    list_filter = ["status", "section", "event_kind", IssueYearFilter]
    list_select_related = ["bulletin", "section", "updated_by"]
    # Newest first along the primary key: the model's issue order sorts all 91,000 items.
    ordering = ["-pk"]
    search_fields = ["body", "headline"]  # answered by search_items (the search index)
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
                fields += ["expected_version", "base", "overwrite_version"]
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

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return search_items(queryset, search_term), False

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
            # the text's facts fill what the editor left empty (never what they wrote)
            copy_row(obj, entities.apply_fact_suggestions(item, by=request.user))
            return
        changed = form.content_changed()
        if changed:
            saved = workflow.edit_item(obj, by=request.user, **form.workflow_save_kwargs())
            if {"body", "headline"} & set(changed):
                saved = entities.apply_fact_suggestions(saved, by=request.user)
            copy_row(obj, saved)
            theirs = form.merged_with
            if theirs is not None:
                messages.info(
                    request,
                    _("%(user)s 在您打开之后修改了其他字段,已与您的修改自动合并。")
                    % {"user": theirs.updated_by.get_username() if theirs.updated_by else "?"},
                )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if item is not None and self.has_view_permission(request, item):
            extra_context["wf_item_actions"] = item_action_buttons(
                request, item, form_id="wf-item-form"
            )
            extra_context["wf_transitions"] = labelled(
                item.transitions.select_related("by").order_by("-at", "-pk")
            )
            extra_context["wf_revisions_url"] = reverse(
                "admin:bulletins_item_revisions", args=[item.pk]
            )
            extra_context["wf_review_comment"] = comments.review_comment(item)
            extra_context["wf_threads"] = comments.threads(item)
            extra_context["wf_comment_url"] = reverse(
                "admin:bulletins_item_comment", args=[item.pk]
            )
            if self.has_change_permission(request, item):
                extra_context["entity_suggestions_template"] = ENTITY_SUGGESTIONS_TEMPLATE
                extra_context["item"] = item
                extra_context["suggestions"] = entities.pending_suggestions(item)
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
            path("desk/", wrap(self.desk_view), name="bulletins_item_desk"),
            path(
                "<path:object_id>/comment/",
                wrap(self.comment_view),
                name="bulletins_item_comment",
            ),
            path(
                "<int:object_id>/act/<str:action>/",
                wrap(self.action_view),
                name="bulletins_item_act",
            ),
            path(
                "<int:object_id>/revisions/",
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
            messages.error(request, f"{short_label(item)}:{exc.message}")
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
                % {"item": short_label(item), "action": workflow.ACTION_LABELS[action]},
            )
        return redirect_back(request, reverse("admin:bulletins_item_change", args=[item.pk]))

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

    def comment_view(self, request, object_id):
        """Add a comment (or a reply), resolve or reopen a thread; back to the item page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = self._item_or_403(request, object_id)
        post = request.POST
        try:
            if post.get("resolve") or post.get("reopen"):
                comment = get_object_or_404(
                    ItemComment, pk=post.get("resolve") or post.get("reopen"), item=item
                )
                if post.get("resolve"):
                    comments.resolve(comment, by=request.user)
                    messages.success(request, _("评论已标记为已解决。"))
                else:
                    comments.reopen(comment, by=request.user)
                    messages.success(request, _("评论已重新打开。"))
            else:
                parent = None
                if post.get("parent", "").isdigit():
                    parent = get_object_or_404(ItemComment, pk=post["parent"], item=item)
                comment = comments.add_comment(
                    item, by=request.user, body=post.get("body", ""), parent=parent
                )
                mentioned = list(comment.mentions.values_list("username", flat=True))
                messages.success(
                    request,
                    _("评论已发表,已通知:%(users)s。") % {"users": "、".join(mentioned)}
                    if mentioned
                    else _("评论已发表。"),
                )
        except workflow.TransitionNotAllowed as exc:
            messages.error(request, exc.message)
        back = reverse("admin:bulletins_item_change", args=[item.pk]) + "#wf-comments"
        return HttpResponseRedirect(back)

    def desk_view(self, request):
        """My desk: what waits for me, by role — sent back to me and my drafts (editors),
        the queue (reviewers), ready and scheduled issues (chief editors), mentions and
        notifications (everyone)."""
        if not is_staff_member(request.user):
            raise PermissionDenied
        user = request.user
        if request.method == "POST":
            notifications.mark_read(user)
            return HttpResponseRedirect(reverse("admin:bulletins_item_desk"))
        today = timezone.localdate()
        bulletin = Bulletin.objects.filter(issued_on=today).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("我的工作台"),
            "can_edit": workflow.can(user, "edit"),
            "can_review": workflow.can(user, "approve"),
            "can_publish": workflow.can(user, "publish"),
            "today": today,
            "bulletin": bulletin,
            "checks": workflow.prepublish_checks(bulletin) if bulletin else None,
            "mentions": list(comments.open_mentions(user)[:20]),
            "notifications": list(user.newsroom_notifications.all()[:20]),
        }
        if context["can_edit"]:
            context["sent_back"] = list(comments.sent_back_to(user)[:100])
            context["drafts"] = list(comments.my_drafts(user)[:100])
        if context["can_review"]:
            queue = workflow.decidable_items(user)
            context["queue"] = list(queue[:10])
            context["queue_size"] = queue.count()
        if context["can_publish"]:
            context["ready"] = list(comments.ready_to_publish())
            context["scheduled"] = list(comments.scheduled())
        return TemplateResponse(request, "admin/bulletins/desk.html", context)

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
