"""``TrackerRow``: one item's facts as the /deals/ and /approvals/ trackers list them.

Derived data, like the search documents: written from the item's stored facts (what an
editor corrected wins) by ``bulletins.trackers.index_items``, which the workflow calls
whenever it writes an item's facts, for any status. Whether a row is public is decided when
reading — joined to the published rule — so publishing, retracting or spiking needs no
rewrite. Amounts are normalised to CNY and USD here, once, with ``bulletins.fx``: sorting
and filtering by amount then uses an index instead of converting tens of thousands of JSON
values per page.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Tracker(models.TextChoices):
    DEALS = "deals", _("交易")
    APPROVALS = "approvals", _("审批")


class TrackerRowQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """Rows of items a reader may read (the rule of ``Item.objects.published()``)."""
        from .models import PUBLIC_BULLETIN_STATUSES, ItemStatus

        return self.filter(
            item__status=ItemStatus.APPROVED,
            item__bulletin__status__in=PUBLIC_BULLETIN_STATUSES,
            item__bulletin__publish_at__lte=at or timezone.now(),
        )


class TrackerRow(models.Model):
    item = models.OneToOneField(
        "bulletins.Item",
        models.CASCADE,
        primary_key=True,
        related_name="tracker_row",
        verbose_name=_("item"),
    )
    tracker = models.CharField(_("tracker"), max_length=10, choices=Tracker)
    kind = models.CharField(_("event kind"), max_length=20, blank=True)
    issued_on = models.DateField(_("date"))
    amount_text = models.CharField(_("amount as written"), max_length=80, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    approximate = models.BooleanField(_("approximate"), default=False)
    amount_cny = models.BigIntegerField(_("amount (CNY)"), null=True, blank=True)
    amount_usd = models.BigIntegerField(_("amount (USD)"), null=True, blank=True)
    # amount_cny, or -1 without an amount: a non-null sort key keeps keyset paging simple.
    sort_amount = models.BigIntegerField(_("sort amount"), default=-1)
    financing_round = models.CharField(_("financing round"), max_length=20, blank=True)
    lead_investors = models.CharField(_("lead investors"), max_length=300, blank=True)
    investors = models.CharField(_("investors"), max_length=500, blank=True)
    upfront_text = models.CharField(_("upfront"), max_length=80, blank=True)
    total_text = models.CharField(_("total"), max_length=80, blank=True)
    buyer = models.CharField(_("buyer"), max_length=120, blank=True)
    target = models.CharField(_("target"), max_length=120, blank=True)
    regulator = models.CharField(_("regulator"), max_length=120, blank=True)
    decision = models.CharField(_("decision"), max_length=30, blank=True)
    drug = models.CharField(_("drug"), max_length=120, blank=True)
    indication = models.CharField(_("indication"), max_length=120, blank=True)

    objects = TrackerRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("tracker row")
        verbose_name_plural = _("tracker rows")
        indexes = [
            models.Index(fields=["tracker", "issued_on", "item"], name="tracker_date_idx"),
            models.Index(fields=["tracker", "sort_amount", "item"], name="tracker_amount_idx"),
        ]

    def __str__(self):
        return f"{self.tracker} {self.issued_on} #{self.item_id}"
