"""Entity suggestions from item text.

Interim implementation (plain substring search over names and aliases, longest first);
the entities issue replaces it with an automaton-based linker with the same interface.
"""

from dataclasses import dataclass

from .models import Entity, EntityAlias


@dataclass(frozen=True)
class Suggestion:
    entity: Entity
    start: int
    end: int
    text: str


def suggest(text: str) -> list[Suggestion]:
    names: list[tuple[str, int]] = list(
        Entity.objects.filter(merged_into__isnull=True).values_list("name", "pk")
    ) + list(
        EntityAlias.objects.filter(entity__merged_into__isnull=True).values_list(
            "alias", "entity_id"
        )
    )
    names.sort(key=lambda pair: -len(pair[0]))
    taken = [False] * len(text)
    found: dict[int, tuple[int, int, str]] = {}
    for name, entity_id in names:
        start = text.find(name)
        while start != -1:
            end = start + len(name)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.setdefault(entity_id, (start, end, name))
            start = text.find(name, end)
    entities = Entity.objects.in_bulk(list(found))
    return sorted(
        (Suggestion(entities[pk], *span) for pk, span in found.items()), key=lambda s: s.start
    )


def suggest_for_item(item) -> list[Suggestion]:
    return suggest(f"{item.headline}\n{item.body}")
