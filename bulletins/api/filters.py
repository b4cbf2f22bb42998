"""One FilterSet per resource; every parameter here is documented in the OpenAPI schema.

Filters narrow what ``Visibility`` already allows, so no parameter can widen it: ``status``
means something only to editorial roles, and an anonymous ``?status=draft`` finds nothing.
"""

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from ..models import (
    BulletinStatus,
    EntityAlias,
    EntityType,
    EventKind,
    ItemStatus,
)
from .permissions import visibility_for

MAX_SLUGS = 20


# Above this many links an entity is "popular" (a regulator, a big pharma): walking items in
# date order and probing each is cheaper than collecting and sorting all its items.
POPULAR_LINKS = 1000


def about(queryset, links):
    """Items of ``queryset`` that have one of ``links`` (one COUNT query picks the plan)."""
    if links.count() > POPULAR_LINKS:
        return queryset.filter(Exists(links.filter(item=OuterRef("pk"))))
    return queryset.filter(pk__in=links.values("item_id"))


class BulletinFilter(filters.FilterSet):
    date_after = filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", help_text="Issues on or after this date."
    )
    date_before = filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", help_text="Issues on or before this date."
    )
    status = filters.ChoiceFilter(
        choices=BulletinStatus.choices,
        help_text="Editorial roles only: issues in this status (others see published issues).",
    )


class ItemFilter(filters.FilterSet):
    date_after = filters.DateFilter(
        field_name="bulletin__issued_on", lookup_expr="gte", help_text="Issue date on or after."
    )
    date_before = filters.DateFilter(
        field_name="bulletin__issued_on", lookup_expr="lte", help_text="Issue date on or before."
    )
    bulletin = filters.DateFilter(
        field_name="bulletin__issued_on", help_text="Items of the issue of this date."
    )
    section = filters.CharFilter(field_name="section__slug", help_text="Section slug.")
    entity = filters.CharFilter(
        method="filter_entity",
        help_text="Entity slug; several separated by commas: items about any of them.",
    )
    entity_type = filters.ChoiceFilter(
        choices=EntityType.choices,
        method="filter_entity_type",
        help_text="Items about at least one entity of this type.",
    )
    event_kind = filters.ChoiceFilter(choices=EventKind.choices, method="filter_event_kind")
    has_financing = filters.BooleanFilter(
        method="filter_has_financing",
        help_text="Financing news: event kind financing, or a financing round given.",
    )
    status = filters.ChoiceFilter(
        choices=ItemStatus.choices,
        help_text="Editorial roles only (others see approved items of published issues).",
    )
    # ``q`` and ``ordering`` are applied by the view (search ranking feeds the pagination);
    # they are declared here so that they are validated and documented like the rest.
    q = filters.CharFilter(method="filter_noop", help_text="Text search, the same as the site's.")
    ordering = filters.ChoiceFilter(
        choices=[
            ("-date", _("newest first")),
            ("date", _("oldest first")),
            ("relevance", _("relevance (with q)")),
        ],
        method="filter_noop",
        help_text="-date (default), date, or relevance (default when q is given).",
    )

    def _links(self):
        return visibility_for(self.request).links().filter(item=OuterRef("pk"))

    def filter_entity(self, queryset, name, value):
        slugs = [s.strip() for s in value.split(",") if s.strip()][:MAX_SLUGS]
        if not slugs:
            return queryset
        links = visibility_for(self.request).links().filter(entity__slug__in=slugs)
        return about(queryset, links)

    def filter_entity_type(self, queryset, name, value):
        return queryset.filter(Exists(self._links().filter(entity__type=value)))

    def filter_event_kind(self, queryset, name, value):
        # Compared as an expression so that SQLite does not pick the event-kind index: every
        # kind is common enough that walking issues newest first and stopping at the page's
        # LIMIT beats collecting all items of that kind (thousands) and sorting them.
        return queryset.alias(kind_=Concat(F("event_kind"), Value(""))).filter(kind_=value)

    def filter_has_financing(self, queryset, name, value):
        financing = Q(event_kind=EventKind.FINANCING) | ~Q(financing_round="")
        return queryset.filter(financing if value else ~financing)

    def filter_noop(self, queryset, name, value):
        return queryset


class EntityFilter(filters.FilterSet):
    type = filters.ChoiceFilter(choices=EntityType.choices)
    prefix = filters.CharFilter(
        method="filter_prefix", help_text="Name (Chinese or English) starts with this."
    )
    q = filters.CharFilter(
        method="filter_q", help_text="Text in the name, English name, aliases or ticker."
    )

    def filter_prefix(self, queryset, name, value):
        return queryset.filter(Q(name__istartswith=value) | Q(name_en__istartswith=value))

    def filter_q(self, queryset, name, value):
        aliases = EntityAlias.objects.filter(entity=OuterRef("pk"), alias__icontains=value)
        return queryset.filter(
            Q(name__icontains=value)
            | Q(name_en__icontains=value)
            | Q(ticker__iexact=value)
            | Q(Exists(aliases))
        )
