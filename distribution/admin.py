"""Admin for distribution: subscribers, the per-issue delivery report, webhook endpoints and
their delivery log, and the 复制到公众号 export of a bulletin. Actions call services/tasks."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bulletins.exporters.wechat import wechat_article, wechat_warnings
from bulletins.models import Bulletin

from . import services, tasks
from .models import (
    Delivery,
    DeliveryStatus,
    Follow,
    Subscriber,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class FollowInline(admin.TabularInline):
    model = Follow
    extra = 0
    raw_id_fields = ["entity"]
    readonly_fields = ["created_at"]
    verbose_name = _("关注")
    verbose_name_plural = _("关注的公司与产品")


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "wants_issue", "follow_count", "sent_count", "created_at"]
    list_filter = ["status", "wants_issue"]
    search_fields = ["email", "follows__entity__name"]
    # Status changes only through the reader's links (double opt-in) or the action below.
    readonly_fields = ["email", "status", "created_at", "confirmed_at", "unsubscribed_at"]
    fields = ["email", "status", "wants_issue", "created_at", "confirmed_at", "unsubscribed_at"]
    inlines = [FollowInline]
    date_hierarchy = "created_at"
    actions = ["unsubscribe"]

    @admin.action(description=_("退订所选地址(取消未发送的邮件)"), permissions=["change"])
    def unsubscribe(self, request, queryset):
        for subscriber in queryset:
            services.unsubscribe(subscriber)
        self.message_user(request, _("已退订 %(n)d 个地址。") % {"n": len(queryset)})

    def has_add_permission(self, request):
        return False  # only the reader subscribes (double opt-in)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                follow_total=Count("follows", distinct=True),
                sent_total=Count(
                    "deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT), distinct=True
                ),
            )
        )

    @admin.display(description=_("关注数"), ordering="follow_total")
    def follow_count(self, obj):
        return obj.follow_total

    @admin.display(description=_("已发送邮件"), ordering="sent_total")
    def sent_count(self, obj):
        return obj.sent_total


def _resend(modeladmin, request, queryset, task):
    count = queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_by="",
        claimed_until=None,
    )
    if count:
        task.enqueue()
    modeladmin.message_user(
        request, _("已重新排队 %(n)d 条(只处理失败或已取消的)。") % {"n": count}, messages.SUCCESS
    )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["bulletin", "subscriber", "kind", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind", "bulletin"]
    search_fields = ["subscriber__email"]
    list_select_related = ["bulletin", "subscriber"]
    actions = ["resend"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新发送所选的失败邮件"), permissions=["change"])
    def resend(self, request, queryset):
        _resend(self, request, queryset, tasks.send_deliveries)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("report/", wrap(self.report_view), name="distribution_delivery_report"),
            path(
                "wechat/<int:bulletin_id>/",
                wrap(self.wechat_view),
                name="distribution_wechat_export",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request):
        """Per issue: how many emails were sent, failed (with reasons), are pending."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        counts = {s: Count("pk", filter=Q(status=s)) for s in DeliveryStatus.values}
        rows = (
            Delivery.objects.values("bulletin_id", "bulletin__issued_on", "kind")
            .annotate(**counts)
            .order_by("-bulletin__issued_on", "kind")[:90]
        )
        failures = (
            Delivery.objects.filter(status=DeliveryStatus.FAILED)
            .values("bulletin__issued_on", "last_error")
            .annotate(n=Count("pk"))
            .order_by("-bulletin__issued_on", "-n")[:50]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("邮件发送报告"),
            "opts": self.model._meta,
            "rows": rows,
            "failures": failures,
            "statuses": DeliveryStatus.choices,
            "changelist": reverse("admin:distribution_delivery_changelist"),
        }
        return TemplateResponse(request, "admin/distribution/delivery_report.html", context)

    def wechat_view(self, request, bulletin_id):
        """复制到公众号: the inline-styled article and the 公众号 limits it would break."""
        if not request.user.has_perm("bulletins.view_bulletin"):
            raise PermissionDenied
        bulletin = get_object_or_404(Bulletin, pk=bulletin_id)
        article = wechat_article(bulletin)
        context = {
            **self.admin_site.each_context(request),
            "title": _("复制到公众号:%(date)s") % {"date": f"{bulletin.issued_on:%Y-%m-%d}"},
            "opts": Bulletin._meta,
            "bulletin": bulletin,
            "article": article,
            "warnings": wechat_warnings(article),
        }
        return TemplateResponse(request, "admin/distribution/wechat_export.html", context)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["__str__", "url", "is_active", "event_list", "delivery_stats"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = ["description", "url", "events", "secret", "is_active", "created_at"]
    readonly_fields = ["created_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "events":
            from django import forms

            return forms.TypedMultipleChoiceField(
                choices=WebhookEvent.choices,
                widget=forms.CheckboxSelectMultiple,
                label=_("事件"),
                initial=list(WebhookEvent.values),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("事件"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    @admin.display(description=_("投递"))
    def delivery_stats(self, obj):
        url = (
            reverse("admin:distribution_webhookdelivery_changelist")
            + f"?endpoint__id__exact={obj.pk}"
        )
        return format_html('<a href="{}">{}</a>', url, _("投递记录"))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "delivered_at",
        "last_error",
    ]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["key"]
    list_select_related = ["endpoint"]
    actions = ["redeliver"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新投递所选的失败记录"), permissions=["change"])
    def redeliver(self, request, queryset):
        _resend(self, request, queryset, tasks.deliver_webhooks)
