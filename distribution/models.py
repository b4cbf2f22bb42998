"""Readers who subscribed, what they follow, and every message sent to them or to partners.

A delivery is a row before it is a message: one per subscriber × issue × kind (and one per
webhook endpoint × event), unique, so planning twice never sends twice. Workers claim rows
(``distribution.outbox``); only ``distribution.services`` and the tasks write them.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_key() -> str:
    return secrets.token_urlsafe(24)


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    ACTIVE = "active", _("已订阅")
    PAUSED = "paused", _("已暂停")
    UNSUBSCRIBED = "unsubscribed", _("已退订")


class Subscriber(models.Model):
    email = models.EmailField(
        _("邮箱地址"), unique=True, help_text=_("以小写保存,例如 reader@example.com")
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=SubscriberStatus,
        default=SubscriberStatus.PENDING,
        help_text=_("只有“已订阅”的地址会收到邮件;点击确认链接之前为“待确认”。"),
    )
    wants_issue = models.BooleanField(
        _("完整日报"),
        default=True,
        help_text=_("接收每期完整日报;否则只接收与关注的公司和产品有关的条目。"),
    )
    key = models.CharField(
        _("链接密钥"),
        max_length=64,
        default=new_key,
        editable=False,
        help_text=_("每个签名链接都含有它;更换后旧链接全部失效。"),
    )
    created_at = models.DateTimeField(_("订阅时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("退订时间"), null=True, blank=True)
    entities = models.ManyToManyField(
        "bulletins.Entity",
        through="Follow",
        related_name="followers",
        blank=True,
        verbose_name=_("关注的公司与产品"),
    )

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("订阅者")
        verbose_name_plural = _("订阅者")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubscriberStatus.values), name="subscriber_status_valid"
            )
        ]
        indexes = [models.Index(fields=["status"], name="subscriber_status_idx")]

    def __str__(self):
        return self.email


class Follow(models.Model):
    subscriber = models.ForeignKey(
        Subscriber, models.CASCADE, related_name="follows", verbose_name=_("订阅者")
    )
    entity = models.ForeignKey(
        "bulletins.Entity", models.CASCADE, related_name="follows", verbose_name=_("公司/产品")
    )
    created_at = models.DateTimeField(_("关注时间"), default=timezone.now)

    class Meta:
        verbose_name = _("关注")
        verbose_name_plural = _("关注")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "entity"], name="follow_unique")
        ]

    def __str__(self):
        return f"{self.subscriber} → {self.entity}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class OutboxRow(models.Model):
    """What a claimable row has: status, attempts, the worker holding it and until when."""

    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_by = models.CharField(_("处理进程"), max_length=64, blank=True)
    claimed_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        abstract = True


class DeliveryKind(models.TextChoices):
    ISSUE = "issue", _("日报")
    CORRECTION = "correction", _("更正通知")
    RETRACTION = "retraction", _("撤回通知")


class Delivery(OutboxRow):
    subscriber = models.ForeignKey(
        Subscriber, models.CASCADE, related_name="deliveries", verbose_name=_("订阅者")
    )
    bulletin = models.ForeignKey(
        "bulletins.Bulletin",
        models.CASCADE,
        related_name="deliveries",
        verbose_name=_("日报"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=DeliveryKind)
    correction = models.ForeignKey(
        "bulletins.Correction",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("更正"),
    )
    key = models.CharField(
        _("键"),
        max_length=40,
        help_text=_("issue、retraction 或 correction:<编号>:每位订阅者每种各一封。"),
    )
    item_ids = models.JSONField(
        _("条目"), default=list, blank=True, help_text=_("这封邮件包含的条目。")
    )
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("邮件投递")
        verbose_name_plural = _("邮件投递")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "bulletin", "key"], name="delivery_unique_message"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_claim_idx"),
            models.Index(fields=["bulletin", "kind", "status"], name="delivery_report_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.bulletin.issued_on:%Y-%m-%d} → {self.subscriber}"


class WebhookEvent(models.TextChoices):
    ISSUE_PUBLISHED = "issue.published", "issue.published"
    ISSUE_CORRECTED = "issue.corrected", "issue.corrected"
    ISSUE_RETRACTED = "issue.retracted", "issue.retracted"
    ITEM_WITHDRAWN = "item.withdrawn", "item.withdrawn"


def default_events() -> list[str]:
    return list(WebhookEvent.values)


class WebhookEndpoint(models.Model):
    url = models.URLField(
        _("地址"),
        max_length=500,
        help_text=_(
            "只接受 https;内网、环回和链路本地地址会被拒绝,"
            "例如 https://partner.example.com/hooks/newsroom"
        ),
    )
    description = models.CharField(_("合作方"), max_length=100, blank=True)
    secret = models.CharField(
        _("签名密钥"),
        max_length=100,
        default=new_key,
        help_text=_("与合作方共享:对方用它校验 X-Newsroom-Signature。"),
    )
    events = models.JSONField(
        _("事件"),
        default=default_events,
        help_text=_(
            "issue.published、issue.corrected、issue.retracted、item.withdrawn 中的一个或多个。"
        ),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["description", "id"]
        verbose_name = _("Webhook 端点")
        verbose_name_plural = _("Webhook 端点")

    def __str__(self):
        return self.description or self.url

    def clean(self):
        from .webhooks import validate_events, validate_target

        validate_target(self.url)
        validate_events(self.events)


class WebhookDelivery(OutboxRow):
    endpoint = models.ForeignKey(
        WebhookEndpoint, models.CASCADE, related_name="deliveries", verbose_name=_("端点")
    )
    event = models.CharField(_("事件"), max_length=30, choices=WebhookEvent)
    key = models.CharField(
        _("事件键"), max_length=60, help_text=_("例如 issue.published:2026-03-17")
    )
    payload = models.JSONField(_("内容"))
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP 状态"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("Webhook 投递记录")
        verbose_name_plural = _("Webhook 投递记录")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "key"], name="webhook_delivery_unique"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_claim_idx")]

    def __str__(self):
        return f"{self.key} → {self.endpoint}"
