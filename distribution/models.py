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
        _("email address"), unique=True, help_text=_("Stored lower-cased, e.g. reader@example.com")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SubscriberStatus,
        default=SubscriberStatus.PENDING,
        help_text=_("Only 已订阅 addresses receive emails; 待确认 until the link is clicked."),
    )
    wants_issue = models.BooleanField(
        _("whole 日报"),
        default=True,
        help_text=_("Receives the whole issue; otherwise only items about followed entities."),
    )
    key = models.CharField(
        _("link key"),
        max_length=64,
        default=new_key,
        editable=False,
        help_text=_("Part of every signed link; changing it invalidates old links."),
    )
    created_at = models.DateTimeField(_("subscribed at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    entities = models.ManyToManyField(
        "bulletins.Entity",
        through="Follow",
        related_name="followers",
        blank=True,
        verbose_name=_("followed entities"),
    )

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
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
        Subscriber, models.CASCADE, related_name="follows", verbose_name=_("subscriber")
    )
    entity = models.ForeignKey(
        "bulletins.Entity", models.CASCADE, related_name="follows", verbose_name=_("entity")
    )
    created_at = models.DateTimeField(_("followed at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
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
        _("status"), max_length=20, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        abstract = True


class DeliveryKind(models.TextChoices):
    ISSUE = "issue", _("日报")
    CORRECTION = "correction", _("更正通知")
    RETRACTION = "retraction", _("撤回通知")


class Delivery(OutboxRow):
    subscriber = models.ForeignKey(
        Subscriber, models.CASCADE, related_name="deliveries", verbose_name=_("subscriber")
    )
    bulletin = models.ForeignKey(
        "bulletins.Bulletin",
        models.CASCADE,
        related_name="deliveries",
        verbose_name=_("bulletin"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DeliveryKind)
    correction = models.ForeignKey(
        "bulletins.Correction",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("correction"),
    )
    key = models.CharField(
        _("key"),
        max_length=40,
        help_text=_("issue, retraction or correction:<id>: one message of each per subscriber."),
    )
    item_ids = models.JSONField(
        _("items"), default=list, blank=True, help_text=_("The items this email carries.")
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
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


def default_events() -> list[str]:
    return list(WebhookEvent.values)


class WebhookEndpoint(models.Model):
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_(
            "https only; private, loopback and link-local addresses are refused, "
            "e.g. https://partner.example.com/hooks/newsroom"
        ),
    )
    description = models.CharField(_("partner"), max_length=100, blank=True)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_key,
        help_text=_("Shared with the partner: they verify X-Newsroom-Signature with it."),
    )
    events = models.JSONField(
        _("events"),
        default=default_events,
        help_text=_("Any of issue.published, issue.corrected, issue.retracted."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["description", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.description or self.url

    def clean(self):
        from .webhooks import validate_events, validate_target

        validate_target(self.url)
        validate_events(self.events)


class WebhookDelivery(OutboxRow):
    endpoint = models.ForeignKey(
        WebhookEndpoint, models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.CharField(_("event"), max_length=30, choices=WebhookEvent)
    key = models.CharField(
        _("event key"), max_length=60, help_text=_("e.g. issue.published:2026-03-17")
    )
    payload = models.JSONField(_("payload"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "key"], name="webhook_delivery_unique"),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_claim_idx")]

    def __str__(self):
        return f"{self.key} → {self.endpoint}"
