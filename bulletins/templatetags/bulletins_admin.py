"""Admin-only template helpers for entity candidates (never loaded by public templates)."""

from django import template

from ..models import EntityType

register = template.Library()


@register.filter
def entity_type_label(value: str) -> str:
    """company → 公司 (the label of an entity type value)."""
    try:
        return EntityType(value).label
    except ValueError:
        return value


@register.filter
def discovery_rule_label(value: str) -> str:
    """company_legal → 公司全称(…有限公司): the rule class that found a discovery."""
    from ..discovery import RULES

    return RULES.get(value, value)


@register.simple_tag
def item_candidates(item):
    """The names in the item the gazetteer does not know (``entities.item_candidates``)."""
    from ..entities import item_candidates as candidates

    return candidates(item)


@register.filter
def joined_aliases(candidate) -> str:
    return " | ".join(candidate.aliases)


@register.simple_tag
def entity_type_choices():
    return EntityType.choices
