"""Entity services: create, link, merge, import and export the gazetteer.

The admin, the API and the management commands call these functions, so they behave alike.
Permissions (``bulletins.roles.can``): curating the gazetteer — merging, importing,
editing entities — needs ``manage_entities`` (主编). An editor may link and unlink entities
on items they may edit and may turn a name selected in an item into a new entity (a
suggestion the chief editor curates later). Links on items of a published issue change
public pages, so they need ``manage_entities`` too. ``by=None`` means a trusted operator
(a management command), never a web request.

Every change bumps the linker's version (``bulletins.linking.bump_version``) after commit so
every worker rebuilds its automaton, and asks search to re-index the items whose links moved.
``link_new_items`` (the importer's links for items it just wrote) indexes inside the caller's
transaction instead, so an import indexes each item once.

The writing half of fact extraction lives here too: ``apply_fact_suggestions`` fills an
item's empty event kind, round and facts through ``workflow.edit_item`` and gives its
investor/regulator links their roles; ``facts.py`` itself only reads text.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import discovery, facts, linking, pinyin, readmodels
from .models import (
    LOCKED_BULLETIN_STATUSES,
    AliasKind,
    Entity,
    EntityAlias,
    EntityType,
    Item,
    ItemEntity,
    LinkSource,
)
from .roles import TransitionNotAllowed, User, require

logger = logging.getLogger(__name__)

GAZETTEER_PATH = Path(__file__).resolve().parent / "data" / "gazetteer.json"
GAZETTEER_DIR = GAZETTEER_PATH.parent / "gazetteer"
CSV_COLUMNS = [
    "slug",
    "type",
    "name",
    "name_en",
    "aliases",
    "parent",
    "ticker",
    "inn",
    "description",
]
MAX_NAME_LENGTH = Entity._meta.get_field("name").max_length


# ----------------------------------------------------------------------------- helpers


def _require(by: User | None, action: str) -> None:
    if by is None:  # a management command: the operator is trusted
        return
    if action == "manage_entities":
        message = _("只有主编可以维护实体库。")
    elif action == "create_entity":
        message = _("只有编辑和主编可以新建实体。")
    else:
        message = _("您没有权限修改条目的实体关联。")
    require(by, action, message=message)


def _require_link_permission(item: Item, by: User | None) -> None:
    if by is None:
        return
    if item.bulletin.status in LOCKED_BULLETIN_STATUSES:
        _require(by, "manage_entities")
    else:
        _require(by, "edit")


def _changed(item_ids=(), *, renamed=()) -> None:
    """The read models follow at once (``renamed``: entities whose names changed, no count
    did); after commit every linker rebuilds and search re-indexes the items whose links
    moved."""
    item_ids = sorted(set(item_ids))
    if renamed:
        readmodels.entities_renamed(renamed, item_ids=item_ids)
    else:
        readmodels.visibility_changed(items=item_ids)

    def after():
        linking.bump_version()
        if item_ids:
            reindex_items(item_ids)

    transaction.on_commit(after)


def reindex_items(item_ids) -> None:
    """Re-index the items' search documents (they carry their confirmed entities' names)."""
    from . import search

    try:
        search.index_items(list(item_ids))
    except Exception:  # a search outage must not undo a curation
        logger.exception("re-indexing items %s failed", item_ids)


def entity_renamed(*entities: Entity) -> None:
    """After a name or alias change: the linker rebuilds and linked items are re-indexed."""
    _changed(
        ItemEntity.objects.confirmed()
        .filter(entity__in=entities)
        .values_list("item_id", flat=True),
        renamed=entities,
    )


def _log(by: User, entity: Entity, message: str) -> None:
    if by is None or by.pk is None:
        return
    LogEntry.objects.log_actions(
        by.pk, [entity], CHANGE, [{"changed": {"fields": [], "note": message}}]
    )


def unique_slug(name: str, *, exclude_pk=None) -> str:
    """A readable ASCII slug from a Chinese or English name (pinyin), made unique."""
    taken = Entity.objects.exclude(pk=exclude_pk) if exclude_pk else Entity.objects.all()
    return pinyin.unique_slug(name, taken, max_length=100, fallback="entity")


def alias_kind_for(alias: str) -> str:
    if alias.isascii():
        return AliasKind.ABBREVIATION if alias.isupper() and len(alias) <= 6 else AliasKind.ENGLISH
    return AliasKind.CHINESE


def entities_named(names) -> dict[str, list[Entity]]:
    """Every live entity each of ``names`` names — its canonical name exactly, its English
    name or one of its aliases in any case: ``{name: [entities by pk]}``, in two queries
    for any number of names (an import asks for a whole issue's at once)."""
    wanted = {n.strip() for n in names if n and n.strip()}
    by_lower: dict[str, list[str]] = {}
    for name in wanted:
        by_lower.setdefault(name.lower(), []).append(name)
    found: dict[str, dict[int, Entity]] = {name: {} for name in wanted}
    if not wanted:
        return {}
    entities = (
        Entity.objects.live()
        .annotate(name_en_lower=Lower("name_en"))
        .filter(Q(name__in=wanted) | Q(name_en_lower__in=by_lower))
    )
    for entity in entities:
        if entity.name in found:
            found[entity.name][entity.pk] = entity
        for name in by_lower.get((entity.name_en or "").lower(), ()):
            found[name][entity.pk] = entity
    aliases = (
        EntityAlias.objects.filter(entity__merged_into__isnull=True)
        .annotate(alias_lower=Lower("alias"))
        .filter(alias_lower__in=by_lower)
        .select_related("entity")
    )
    for alias in aliases:
        for name in by_lower.get(alias.alias.lower(), ()):
            found[name][alias.entity_id] = alias.entity
    return {name: sorted(d.values(), key=lambda e: e.pk) for name, d in found.items()}


def find_by_name(name: str, *, type: str | None = None) -> Entity | None:
    """The live entity called ``name`` (canonical, English or alias), if exactly one."""
    matches = [
        e for e in entities_named([name]).get(name.strip(), ()) if not type or e.type == type
    ]
    return matches[0] if len(matches) == 1 else None


# ----------------------------------------------------------------------------- links


@transaction.atomic
def link(
    item: Item,
    entity: Entity,
    *,
    by: User,
    role: str = "",
    source: str = LinkSource.EDITOR,
    is_confirmed: bool = True,
) -> ItemEntity:
    """Link (or confirm the link of) an entity to an item; one row per pair."""
    _require_link_permission(item, by)
    if entity.merged_into_id:
        entity = Entity.objects.get(pk=entity.merged_into_id)
    row, created = ItemEntity.objects.select_for_update().get_or_create(
        item=item,
        entity=entity,
        defaults={"role": role, "source": source, "is_confirmed": is_confirmed},
    )
    newly_public = created and row.is_confirmed
    if not created:
        fields = []
        if is_confirmed and not row.is_confirmed:
            row.is_confirmed = True
            fields.append("is_confirmed")
            newly_public = True
        if role and row.role != role:
            row.role = role
            fields.append("role")
        if fields:
            row.save(update_fields=fields)
    if newly_public:
        _public_link_changed(item, by, _("关联 %(name)s") % {"name": entity.name})
    _changed([item.pk])
    return row


def _public_link_changed(item: Item, by: User | None, comment: str) -> None:
    """A link readers see appeared or went: content, for four eyes and re-review."""
    from . import workflow

    workflow.content_changed(item, by=by, comment=comment)


@transaction.atomic
def save_link(
    item: Item,
    entity: Entity,
    *,
    by: User,
    role: str = "",
    is_confirmed: bool = True,
    source: str = LinkSource.EDITOR,
    replaces: Entity | None = None,
) -> ItemEntity:
    """Set a link exactly as an editor left it in a form (role, confirmation).

    ``replaces``: the entity this row pointed at before (the editor picked another one).
    """
    _require_link_permission(item, by)
    public_before = set(
        ItemEntity.objects.filter(item=item, is_confirmed=True).values_list("entity_id", flat=True)
    )
    if replaces is not None and replaces.pk != entity.pk:
        ItemEntity.objects.filter(item=item, entity=replaces).delete()
    row, _created = ItemEntity.objects.update_or_create(
        item=item,
        entity=entity,
        defaults={"role": role, "is_confirmed": is_confirmed},
        create_defaults={"role": role, "is_confirmed": is_confirmed, "source": source},
    )
    public_after = set(
        ItemEntity.objects.filter(item=item, is_confirmed=True).values_list("entity_id", flat=True)
    )
    if public_before != public_after:
        _public_link_changed(item, by, _("关联 %(name)s") % {"name": entity.name})
    _changed([item.pk])
    return row


@transaction.atomic
def unlink(item: Item, entity: Entity, *, by: User) -> bool:
    _require_link_permission(item, by)
    was_public = ItemEntity.objects.filter(item=item, entity=entity, is_confirmed=True).exists()
    deleted, _rows = ItemEntity.objects.filter(item=item, entity=entity).delete()
    if deleted:
        if was_public:
            _public_link_changed(item, by, _("取消关联 %(name)s") % {"name": entity.name})
        _changed([item.pk])
    return bool(deleted)


@transaction.atomic
def auto_link(item: Item, *, by: User, is_confirmed: bool = False) -> list[ItemEntity]:
    """Store the linker's unambiguous suggestions as links (source: linker).

    Unconfirmed by default: they wait for an editor and stay off public pages. Existing
    links (an editor's choice) are left as they are.
    """
    _require_link_permission(item, by)
    existing = set(item.entity_links.values_list("entity_id", flat=True))
    rows = [
        ItemEntity(
            item=item,
            entity=s.entity,
            source=LinkSource.LINKER,
            is_confirmed=is_confirmed,
        )
        for s in linking.suggest_for_item(item)
        if s.entity is not None and s.entity.pk not in existing
    ]
    ItemEntity.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        _changed([item.pk])
    return rows


def suggested_pairs(suggestions):
    """(entity, is_confirmed) pairs for a new item's linker suggestions.

    A name that denotes exactly one live entity is linked as confirmed: the linker matches
    whole names and aliases, and an imported issue is reviewed item by item before it is
    published, so asking editors to confirm 50 obvious links per issue would only train
    them to click through. A name shared by several entities (``is_ambiguous``) is not
    guessed: each candidate becomes an unconfirmed suggestion for the editor to settle.
    """
    seen = set()
    for suggestion in suggestions:
        if suggestion.entity is not None and not suggestion.is_ambiguous:
            pairs = [(suggestion.entity, True)]
        else:
            pairs = [(entity, False) for entity in suggestion.candidates]
        for entity, is_confirmed in pairs:
            if entity.pk not in seen:
                seen.add(entity.pk)
                yield entity, is_confirmed


@transaction.atomic
def link_new_items(suggested, *, by: User | None) -> list[ItemEntity]:
    """Store the linker's suggestions for items just written (an import), in one insert.

    ``suggested``: ``(item, suggestions, roles, discovered)``, ``roles`` mapping a name as the
    facts print it (``facts.roles_by_name``) to the link's role, ``discovered`` the
    ``(entity, printed text)`` pairs of the item's discoveries (``create_discovered``),
    linked as confirmed like an unambiguous gazetteer name. The items with confirmed
    links are indexed now, inside the caller's transaction — under
    ``search.deferred_indexing()`` that is the one indexing of each item.
    """
    from . import search

    rows = []
    for item, suggestions, roles, discovered in suggested:
        _require_link_permission(item, by)
        # The facts name investors and regulators as printed: the linked span's text.
        printed = {s.entity.pk: s.text for s in suggestions if s.entity is not None}
        pairs = list(suggested_pairs(suggestions))
        seen = {entity.pk for entity, _confirmed in pairs}
        for entity, text in discovered:
            printed.setdefault(entity.pk, text)
            if entity.pk not in seen:
                seen.add(entity.pk)
                pairs.append((entity, True))
        rows += [
            ItemEntity(
                item=item,
                entity=entity,
                source=LinkSource.LINKER,
                is_confirmed=is_confirmed,
                role=roles.get(printed.get(entity.pk), roles.get(entity.name, "")),
            )
            for entity, is_confirmed in pairs
        ]
    ItemEntity.objects.bulk_create(rows)
    search.index_items({row.item_id for row in rows if row.is_confirmed})
    return rows


# ----------------------------------------------------------------------------- facts


def apply_fact_suggestions(item: Item, *, by: User) -> Item:
    """Fill the item's empty event kind, round and facts from its text; returns the item.

    Only empty fields are filled (an editor's correction stays); goes through
    ``workflow.edit_item`` with the item's current version, so a concurrent edit is refused.
    """
    from . import workflow  # the workflow writes items; it never imports this module

    found = facts.extract(f"{item.headline}\n{item.body}" if item.headline else item.body)
    changes = {}
    if not item.event_kind and found.event_kind:
        changes["event_kind"] = found.event_kind
    if not item.financing_round and found.financing_round:
        changes["financing_round"] = found.financing_round
    # facts that are not a JSON object (typed by hand) are the editor's: left as they are
    current = dict(item.facts) if isinstance(item.facts, dict) else None
    merged = dict(current) if current is not None else {}
    if current is not None:
        for key, value in found.as_json().items():
            if not merged.get(key):
                merged[key] = value
        if merged != current:
            changes["facts"] = merged
    if changes:
        item = workflow.edit_item(item, by=by, expected_version=item.version, **changes)
    _set_link_roles(item, merged, by=by)
    return item


def _set_link_roles(item: Item, found: dict, *, by: User) -> None:
    """Give the item's linked investors and regulator their role, where none is set."""
    wanted = facts.roles_by_name(found)
    if not wanted:
        return
    links = item.entity_links.filter(role="").select_related("entity")
    for row in links.prefetch_related("entity__aliases"):
        entity = row.entity
        names = [entity.name, entity.name_en, *(a.alias for a in entity.aliases.all())]
        role = next((wanted[n] for n in names if n in wanted), "")
        if role:
            save_link(
                item, entity, by=by, role=role, is_confirmed=row.is_confirmed, source=row.source
            )


def pending_suggestions(item: Item) -> list[linking.Suggestion]:
    """Linker suggestions an editor has not confirmed yet (unlinked or unconfirmed)."""
    confirmed = set(item.entity_links.confirmed().values_list("entity_id", flat=True))
    return [
        s for s in linking.suggest_for_item(item) if s.is_ambiguous or s.entity.pk not in confirmed
    ]


@transaction.atomic
def create_entity(
    *,
    by: User,
    name: str,
    type: str,
    name_en: str = "",
    aliases=(),
    description: str = "",
    parent: Entity | None = None,
    ticker: str = "",
    inn: str = "",
    slug: str = "",
) -> Entity:
    _require(by, "create_entity")
    return _create(
        name=name,
        type=type,
        name_en=name_en,
        aliases=aliases,
        description=description,
        parent=parent,
        ticker=ticker,
        inn=inn,
        slug=slug,
    )


def _create(*, name, type, name_en="", aliases=(), slug="", **fields) -> Entity:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TransitionNotAllowed(
            _("实体名称不能为空,且不超过 %(n)s 个字符。") % {"n": MAX_NAME_LENGTH},
            code="invalid",
        )
    if type not in EntityType.values:
        raise TransitionNotAllowed(_("未知的实体类型:%(type)s") % {"type": type}, code="invalid")
    if Entity.objects.live().filter(type=type, name=name).exists():
        raise TransitionNotAllowed(
            _("已有同名同类型的实体“%(name)s”。") % {"name": name}, code="conflict"
        )
    entity = Entity.objects.create(
        type=type,
        name=name,
        name_en=(name_en or "").strip(),
        slug=slug or unique_slug(name_en or name),
        **fields,
    )
    for alias in aliases:
        alias = alias.strip()
        if alias and alias != name:
            EntityAlias.objects.get_or_create(
                entity=entity, alias=alias, defaults={"kind": alias_kind_for(alias)}
            )
    _changed()
    return entity


@transaction.atomic
def create_entity_from_name(item: Item, *, by: User, name: str, type: str) -> tuple[Entity, bool]:
    """Turn a name selected in an item's text into an entity and link it (confirmed).

    An existing live entity of that name is reused rather than duplicated.
    Returns ``(entity, created)``.
    """
    _require_link_permission(item, by)
    name = (name or "").strip()
    if name and name not in f"{item.headline}\n{item.body}":
        raise TransitionNotAllowed(
            _("“%(name)s”不在这条条目的正文中。") % {"name": name}, code="invalid"
        )
    entity = find_by_name(name, type=type)
    created = entity is None
    if created:
        entity = _create(name=name, type=type)
        if by is not None:
            _log(by, entity, _("从条目 #%(item)s 的正文创建") % {"item": item.pk})
    link(item, entity, by=by, source=LinkSource.EDITOR, is_confirmed=True)
    return entity, created


# ----------------------------------------------------------------------------- candidates
#
# Discovery (``bulletins.discovery`` through ``linking.analyse``) proposes names the gazetteer
# does not know. Candidates are computed from the item's text whenever an issue is previewed
# or an item page is shown — nothing to keep in step with edits; only an editor's "not an
# entity" is stored (``DismissedCandidate``). They are admin-only: no public view, feed or
# API read calls these functions.
#
# Permissions: creating an entity from a candidate is what ``create_entity_from_name``
# already allows an editor on an item they may edit — the entity is created at once (not a
# pending proposal) and the chief editor curates it later (rename, merge; each creation is in
# the admin log). A proposal state would need a status on Entity and a filter in the linker,
# public() and the API for a name that is public only once a reviewed item is published
# anyway. Dismissing is a decision about a string for everybody: editors and chief editors.
#
# High-confidence discoveries (``discovery.AUTO_RULES``) skip the click: an import creates
# them (``create_discovered``) with the same permission, flagged ``Entity.is_discovered`` so
# the chief editor finds them ("自动发现,待整理") and marks them curated (``mark_curated``).


def _dismissed(names) -> set[str]:
    from .models import DismissedCandidate

    return set(
        DismissedCandidate.objects.filter(name__in=list(names)).values_list("name", flat=True)
    )


def without_dismissed(found: dict) -> dict:
    """{key: [Candidate…]} with the names editors dismissed left out (one query)."""
    dismissed = _dismissed({n for cands in found.values() for c in cands for n in c.names})
    return {
        key: [c for c in cands if not dismissed.intersection(c.names)]
        for key, cands in found.items()
    }


def candidates_for_texts(texts: dict) -> dict:
    """{key: [Candidate…]} for many texts: linker and discovery, dismissed names removed."""
    return without_dismissed({k: a.candidates for k, a in linking.analyse_texts(texts).items()})


def item_candidates(item: Item) -> list:
    """The names in this item the gazetteer does not know, with a proposed type."""
    return candidates_for_texts({item.pk: linking.item_text(item)})[item.pk]


@transaction.atomic
def create_discovered(found, *, by) -> dict[str, Entity]:
    """The entities of an import's high-confidence discoveries: ``{key: entity}``.

    ``found``: objects with ``key``, ``name``, ``type``, ``aliases``
    (``importers.service.PlannedDiscovery``). A live entity of that type named so is reused,
    never duplicated (``find_by_name``'s rule, read for the whole issue by
    ``entities_named``); a name two such entities share is left to the editor (it stays a
    candidate); a name an editor dismissed
    (``DismissedCandidate``) is never created — even one dismissed after the preview. A new
    entity is flagged ``is_discovered`` for the chief editor to curate (admin filter
    "自动发现,待整理") and logged. The same permission as one click on a candidate: editors
    and chief editors (``create_entity``). Public only once an item naming it is published
    (``Entity.objects.public()``), like any entity.
    """
    found = list(found)
    if not found:
        return {}
    _require(by, "create_entity")
    all_names = {n for d in found for n in (d.name, *d.aliases)}
    dismissed = _dismissed(all_names)
    # Existing entities by the rule of ``find_by_name`` (one live entity of the type so
    # named), for the whole issue in two queries.
    named = entities_named(all_names)
    made: dict[tuple[str, str], Entity] = {}  # created by this import, by (type, name)
    result: dict[str, Entity] = {}
    new: list[tuple[object, Entity]] = []
    for d in found:
        names = [d.name, *d.aliases]
        if dismissed.intersection(names) or len(d.name) > MAX_NAME_LENGTH:
            continue  # (an over-long name stays a candidate: an editor shortens it)
        known = [[e for e in named.get(n.strip(), ()) if e.type == d.type] for n in names]
        if any(len(matches) > 1 for matches in known):
            continue  # two entities share the name: the editor chooses (it stays a candidate)
        entity = next((m[0] for m in known if m), None) or next(
            (made[(d.type, n)] for n in names if (d.type, n) in made), None
        )
        if entity is None:
            entity = Entity(type=d.type, name=d.name, is_discovered=True)
            new.append((d, entity))
            for n in names:  # a later discovery of the same name reuses it
                made.setdefault((d.type, n), entity)
        result[d.key] = entity
    if new:
        _create_discovered([entity for _d, entity in new], [d for d, _e in new], by=by)
    return result


def _create_discovered(rows: list[Entity], found: list, *, by) -> None:
    """Insert new discovered entities with free slugs and their aliases (a few queries)."""
    wanted = [pinyin.pinyin_slug(row.name, max_length=100) or "entity" for row in rows]
    prefix = Q()
    for base in set(wanted):
        prefix |= Q(slug__startswith=base)
    taken = set(Entity.objects.filter(prefix).values_list("slug", flat=True))
    for row, base in zip(rows, wanted, strict=True):
        row.slug = pinyin.free_slug(base, taken)
    Entity.objects.bulk_create(rows)
    EntityAlias.objects.bulk_create(
        [
            EntityAlias(entity=row, alias=alias, kind=alias_kind_for(alias))
            for row, d in zip(rows, found, strict=True)
            for alias in dict.fromkeys(a.strip() for a in d.aliases)
            if alias and alias != row.name and len(alias) <= 150
        ]
    )
    if by is not None and by.pk is not None:  # one log call per rule class
        by_rule: dict[str, list[Entity]] = {}
        for row, d in zip(rows, found, strict=True):
            by_rule.setdefault(d.rule, []).append(row)
        for rule, created in by_rule.items():
            # the rule's Chinese label, as the preview shows it: the admin history is read
            # by editors (company_legal → 公司全称(…有限公司))
            label = discovery.RULES.get(rule, rule)
            note = _("导入日报时自动发现(规则:%(rule)s)") % {"rule": label}
            LogEntry.objects.log_actions(
                by.pk, created, CHANGE, [{"changed": {"fields": [], "note": note}}]
            )
    _changed()


@transaction.atomic
def mark_curated(queryset, *, by: User) -> int:
    """The chief editor checked these discovered entities: they leave "自动发现,待整理"."""
    _require(by, "manage_entities")
    rows = list(queryset.filter(is_discovered=True))
    for entity in rows:
        _log(by, entity, _("自动发现的实体已整理"))
    return Entity.objects.filter(pk__in=[e.pk for e in rows]).update(is_discovered=False)


@transaction.atomic
def dismiss_candidate(name: str, *, by) -> bool:
    """Remember that ``name`` is not an entity: it is never proposed again."""
    from .models import DismissedCandidate

    _require(by, "edit")
    name = (name or "").strip()
    if not name or len(name) > 150:
        raise TransitionNotAllowed(_("要忽略的名称为空或过长。"), code="invalid")
    _row, created = DismissedCandidate.objects.get_or_create(
        name=name, defaults={"by": by if by is not None and by.pk else None}
    )
    return created


@transaction.atomic
def create_from_candidate(
    item: Item, *, by, name: str, type: str, aliases=(), name_en: str = ""
) -> tuple[Entity, bool, list[int]]:
    """One click on a candidate: the entity (or the live one of that name), linked — confirmed
    — to every item of the same issue that names it. Returns ``(entity, created, item ids)``.
    """
    _require_link_permission(item, by)
    name = (name or "").strip()
    aliases = [a.strip() for a in aliases if a and a.strip() and a.strip() != name]
    text = linking.item_text(item)
    if not name or not any(n in text for n in (name, *aliases)):
        raise TransitionNotAllowed(
            _("“%(name)s”不在这条条目的正文中。") % {"name": name}, code="invalid"
        )
    entity = find_by_name(name, type=type) or next(
        (e for e in (find_by_name(a, type=type) for a in aliases) if e is not None), None
    )
    created = entity is None
    if created:
        entity = _create(name=name, type=type, name_en=name_en, aliases=aliases)
        if by is not None:
            _log(by, entity, _("从条目 #%(item)s 的候选名称创建") % {"item": item.pk})
    names = linking.Gazetteer((n, 0) for n in (name, name_en, *aliases) if n)
    linked = []
    others = item.bulletin.items.exclude(pk=item.pk).select_related("bulletin")
    for other in [item, *others]:
        if other.pk == item.pk or names.find(linking.item_text(other)):
            link(other, entity, by=by, source=LinkSource.EDITOR, is_confirmed=True)
            linked.append(other.pk)
    return entity, created, linked


# ----------------------------------------------------------------------------- merge


@transaction.atomic
def merge(source: Entity, target: Entity, *, by: User) -> Entity:
    """Fold ``source`` into ``target``: links, aliases, children and redirects move.

    The source's names become aliases of the target; the source row stays (with
    ``merged_into``) so its slug keeps resolving to the target's page.
    """
    _require(by, "manage_entities")
    if source.pk == target.pk:
        raise TransitionNotAllowed(_("不能把实体合并到它自己。"), code="invalid")
    locked = {
        e.pk: e for e in Entity.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id or target.merged_into_id:
        raise TransitionNotAllowed(_("已合并的实体不能再合并。"), code="invalid_state")

    # Item links: one row per (item, entity); a duplicate keeps the stronger state.
    touched = []
    target_links = {row.item_id: row for row in ItemEntity.objects.filter(entity=target)}
    for row in ItemEntity.objects.filter(entity=source):
        touched.append(row.item_id)
        twin = target_links.get(row.item_id)
        if twin is None:
            row.entity = target
            row.save(update_fields=["entity"])
            continue
        fields = []
        if row.is_confirmed and not twin.is_confirmed:
            twin.is_confirmed = True
            fields.append("is_confirmed")
        if row.role and not twin.role:
            twin.role = row.role
            fields.append("role")
        if row.source == LinkSource.EDITOR and twin.source != LinkSource.EDITOR:
            twin.source = LinkSource.EDITOR
            fields.append("source")
        if fields:
            twin.save(update_fields=fields)
        row.delete()

    # Aliases: the target's names win; the source's names become aliases.
    have = set(target.aliases.values_list("alias", flat=True)) | {target.name}
    for alias in source.aliases.all():
        if alias.alias in have:
            alias.delete()
        else:
            alias.entity = target
            alias.save(update_fields=["entity"])
            have.add(alias.alias)
    for name, kind in ((source.name, AliasKind.FORMER), (source.name_en, AliasKind.ENGLISH)):
        if name and name not in have and name != target.name_en:
            EntityAlias.objects.create(entity=target, alias=name, kind=kind)
            have.add(name)

    # Children, earlier merges (no redirect chains), and empty fields of the target.
    Entity.objects.filter(parent=source).exclude(pk=target.pk).update(parent=target)
    Entity.objects.filter(merged_into=source).update(merged_into=target)
    fields = []
    if target.parent_id == source.pk:
        target.parent_id = source.parent_id if source.parent_id != target.pk else None
        fields.append("parent")
    for name in ("name_en", "ticker", "inn", "description", "logo"):
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))
            fields.append(name)
    if source.external_ids:
        target.external_ids = {**source.external_ids, **target.external_ids}
        fields.append("external_ids")
    target.save(update_fields=[*fields, "updated_at"])
    source.merged_into = target
    source.parent = None
    source.save(update_fields=["merged_into", "parent", "updated_at"])
    _log(by, target, _("合并了“%(name)s”(%(slug)s)") % {"name": source.name, "slug": source.slug})
    _log(by, source, _("已合并到“%(name)s”") % {"name": target.name})
    _changed(touched)  # the moved links: O(the source's mentions), not the target's
    return target


# ----------------------------------------------------------------------------- import / export


class EntityImportError(Exception):
    """The file was refused; ``errors`` lists ``(row number, reason)``. Nothing was saved."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{n}: {reason}" for n, reason in errors))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    aliases_added: int = 0


def _aliases_as_pairs(value) -> list[tuple[str, str]]:
    """Aliases as given in JSON ({kind: [alias…]} or [alias | {alias, kind}]) or CSV cell."""
    pairs = []
    if isinstance(value, dict):
        for kind, aliases in value.items():
            pairs.extend((str(a), kind) for a in aliases)
    elif isinstance(value, list):
        for a in value:
            if isinstance(a, dict):
                pairs.append((str(a.get("alias", "")), a.get("kind") or ""))
            else:
                pairs.append((str(a), ""))
    elif isinstance(value, str):
        for part in value.split("|"):
            kind, sep, alias = part.partition(":")
            if sep and kind.strip() in AliasKind.values:
                pairs.append((alias, kind.strip()))
            else:
                pairs.append((part, ""))
    return [(a.strip(), k or alias_kind_for(a.strip())) for a, k in pairs if a.strip()]


def export_entities(queryset=None) -> list[dict]:
    """Live entities in the gazetteer's JSON form (what ``import_entities`` reads back)."""
    queryset = queryset if queryset is not None else Entity.objects.all()
    rows = []
    entities = (
        queryset.live()
        .select_related("parent")
        .prefetch_related("aliases")
        .order_by("type", "slug")
    )
    for entity in entities:
        aliases: dict[str, list[str]] = {}
        for alias in entity.aliases.all():
            aliases.setdefault(alias.kind, []).append(alias.alias)
        row = {
            "slug": entity.slug,
            "type": entity.type,
            "name": entity.name,
            "name_en": entity.name_en,
            "aliases": aliases,
            "parent": entity.parent.slug if entity.parent else "",
            "ticker": entity.ticker,
            "inn": entity.inn,
            "description": entity.description,
        }
        if entity.external_ids:
            row["external_ids"] = entity.external_ids
        ambiguous = sorted(a.alias for a in entity.aliases.all() if a.is_ambiguous)
        if ambiguous:
            row["ambiguous"] = ambiguous
        rows.append(row)
    return rows


def to_json(rows) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def to_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = dict(row)
        cells["aliases"] = "|".join(
            f"{kind}:{alias}" for kind, alias_list in row["aliases"].items() for alias in alias_list
        )
        writer.writerow(cells)
    return out.getvalue()


def read_rows(text: str, *, format: str) -> list[dict]:
    """Parse an export file (``json`` or ``csv``) into rows for ``import_entities``."""
    text = text.lstrip("\ufeff")
    if format == "json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EntityImportError([(exc.lineno, _("不是有效的 JSON:%s") % exc.msg)]) from exc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise EntityImportError([(1, _("JSON 应为实体对象的列表。"))])
        return rows
    if format == "csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"type", "name"} - set(reader.fieldnames or [])
        if missing:
            raise EntityImportError([(1, _("缺少列:%s") % ", ".join(sorted(missing)))])
        return [{k: v for k, v in row.items() if k is not None} for row in reader]
    raise EntityImportError([(0, _("未知格式:%s") % format)])


def _validate(rows) -> list[tuple[int, str]]:
    errors = []
    slugs = set()
    known_slugs = set(Entity.objects.values_list("slug", flat=True))
    for n, row in enumerate(rows, start=1):
        name = str(row.get("name") or "").strip()
        type_ = str(row.get("type") or "").strip()
        slug = str(row.get("slug") or "").strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            errors.append((n, _("名称为空或过长。")))
        if type_ not in EntityType.values:
            errors.append((n, _("未知的实体类型“%s”。") % type_))
        if slug:
            if slug != slugify(slug, allow_unicode=True):
                errors.append((n, _("slug“%s”不合法。") % slug))
            if slug in slugs:
                errors.append((n, _("slug“%s”重复。") % slug))
            slugs.add(slug)
    live = {
        (type_, name): slug
        for type_, name, slug in Entity.objects.live().values_list("type", "name", "slug")
    }
    names = set()
    for n, row in enumerate(rows, start=1):
        key = (str(row.get("type") or "").strip(), str(row.get("name") or "").strip())
        slug = str(row.get("slug") or "").strip()
        if key in names:
            errors.append((n, _("同类型的“%s”在文件中出现了两次。") % key[1]))
        names.add(key)
        if slug and live.get(key, slug) != slug:
            errors.append(
                (
                    n,
                    _("已有同名同类型的实体“%(name)s”(%(slug)s)。")
                    % {"name": key[1], "slug": live[key]},
                )
            )
        parent = str(row.get("parent") or "").strip()
        if parent and parent not in slugs and parent not in known_slugs:
            errors.append((n, _("上级实体“%s”不存在。") % parent))
    errors.extend(_parent_cycles(rows))
    return errors


def would_cycle(entity: Entity, parent: Entity | None) -> bool:
    """Whether making ``parent`` the parent of ``entity`` closes a loop (itself included)."""
    return entity.creates_cycle(parent)


def _parent_cycles(rows) -> list[tuple[int, str]]:
    """Rows whose parent would be the entity itself or one of its descendants, once every
    row's parent is applied on top of the parents already stored."""
    parents = dict(Entity.objects.filter(parent__isnull=False).values_list("slug", "parent__slug"))
    for row in rows:
        slug = str(row.get("slug") or "").strip()
        if slug and "parent" in row:
            parents[slug] = str(row.get("parent") or "").strip() or None
    errors = []
    for n, row in enumerate(rows, start=1):
        slug = str(row.get("slug") or "").strip()
        if not slug or not parents.get(slug):
            continue
        seen, current = set(), parents[slug]
        while current and current not in seen:
            if current == slug:
                message = (
                    _("实体不能是自己的上级。")
                    if parents[slug] == slug
                    else _("上级“%(parent)s”会形成循环(它是“%(slug)s”的下级)。")
                    % {"parent": parents[slug], "slug": slug}
                )
                errors.append((n, message))
                break
            seen.add(current)
            current = parents.get(current)
    return errors


_ENTITY_FIELDS = ("name_en", "ticker", "inn", "description")


def _ambiguous_names(row) -> set[str]:
    value = row.get("ambiguous") or []
    if isinstance(value, str):
        value = value.split("|")
    return {str(a).strip() for a in value if str(a).strip()}


@transaction.atomic
def import_entities(rows: list[dict], *, by: User) -> ImportReport:
    """Create or update entities by slug (or by type + name); aliases are added, never removed.

    All or nothing: any invalid row refuses the whole file (``EntityImportError``). Written in
    bulk (a few queries per thousand rows, not a few per row) so the ~1,600-entity starter
    gazetteer loads in about a second; rows that change nothing are not written, so loading
    twice changes nothing. A row's optional ``ambiguous`` list marks names a reader could mean
    something else by: the linker links them only with context.
    """
    _require(by, "manage_entities")
    errors = _validate(rows)
    if errors:
        raise EntityImportError(errors)
    report = ImportReport()
    now = timezone.now()
    by_slug = {e.slug: e for e in _in_chunks(Entity.objects, "slug", [_slug_of(r) for r in rows])}
    unslugged = [r for r in rows if not _slug_of(r)]
    by_name = {}
    if unslugged:
        names = [str(r["name"]).strip() for r in unslugged]
        for entity in _in_chunks(Entity.objects.live(), "name", names):
            by_name[(entity.type, entity.name)] = entity

    # 1. entities: new ones in one bulk insert, changed ones in one bulk update
    targets: list[Entity] = []
    new, changed = [], []
    taken_slugs: set[str] = set()
    for row in rows:
        name, type_, slug = str(row["name"]).strip(), str(row["type"]).strip(), _slug_of(row)
        values = {k: str(row.get(k) or "").strip() for k in _ENTITY_FIELDS if k in row}
        entity = by_slug.get(slug) if slug else by_name.get((type_, name))
        if entity is None:
            if not slug:
                slug = _free_slug(values.get("name_en") or name, taken_slugs)
            taken_slugs.add(slug)
            entity = Entity(type=type_, name=name, slug=slug, created_at=now, updated_at=now)
            new.append(entity)
        dirty = entity.type != type_ or entity.name != name
        entity.type, entity.name = type_, name
        for key, value in values.items():
            dirty |= getattr(entity, key) != value
            setattr(entity, key, value)
        if isinstance(row.get("external_ids"), dict) and entity.external_ids != row["external_ids"]:
            entity.external_ids, dirty = row["external_ids"], True
        if entity.pk is not None and dirty:
            entity.updated_at = now
            changed.append(entity)
        targets.append(entity)
    Entity.objects.bulk_create(new, batch_size=500)
    if changed:
        Entity.objects.bulk_update(
            changed,
            ["type", "name", *_ENTITY_FIELDS, "external_ids", "updated_at"],
            batch_size=500,
        )
    if any(e.pk is None for e in new):  # backends that return no ids from a bulk insert
        ids = dict(Entity.objects.filter(slug__in=[e.slug for e in new]).values_list("slug", "pk"))
        for entity in new:
            entity.pk = entity.id = ids[entity.slug]
    report.created = [e.slug for e in new]
    report.updated = [e.slug for e in changed]

    # 2. aliases: added, never removed; the ambiguity mark follows the file
    have: dict[tuple[int, str], EntityAlias] = {
        (a.entity_id, a.alias): a
        for a in _in_chunks(EntityAlias.objects, "entity_id", [e.pk for e in targets])
    }
    add, flag = [], []
    for row, entity in zip(rows, targets, strict=True):
        ambiguous = _ambiguous_names(row)
        pairs = _aliases_as_pairs(row.get("aliases"))
        # A name marked ambiguous that is the canonical or English name gets an alias row
        # carrying the mark (the linker reads the mark from aliases).
        listed = {a for a, _k in pairs}
        pairs += [(a, alias_kind_for(a)) for a in sorted(ambiguous - listed)]
        for alias, kind in pairs:
            if not alias or len(alias) > 150:
                continue
            if alias == entity.name and alias not in ambiguous:
                continue
            existing = have.get((entity.pk, alias))
            if existing is None:
                row_alias = EntityAlias(
                    entity=entity,
                    alias=alias,
                    kind=kind if kind in AliasKind.values else AliasKind.CHINESE,
                    is_ambiguous=alias in ambiguous,
                )
                have[(entity.pk, alias)] = row_alias
                add.append(row_alias)
            elif "ambiguous" in row and existing.is_ambiguous != (alias in ambiguous):
                existing.is_ambiguous = alias in ambiguous
                flag.append(existing)
    EntityAlias.objects.bulk_create(add, batch_size=1000)
    if flag:
        EntityAlias.objects.bulk_update(flag, ["is_ambiguous"], batch_size=1000)
    report.aliases_added = len(add)

    # 3. parents, once every slug of the file exists
    slugs = {e.slug: e for e in targets}
    wanted_parents = {
        _slug_of(row) or entity.slug: str(row.get("parent") or "").strip()
        for row, entity in zip(rows, targets, strict=True)
        if str(row.get("parent") or "").strip() or "parent" in row
    }
    missing = {p for p in wanted_parents.values() if p and p not in slugs}
    slugs.update({e.slug: e for e in Entity.objects.filter(slug__in=missing)})
    reparented = []
    for slug, parent_slug in wanted_parents.items():
        entity = slugs[slug]
        parent = slugs.get(parent_slug) if parent_slug else None
        if entity.parent_id != (parent.pk if parent else None):
            entity.parent = parent
            entity.updated_at = now
            reparented.append(entity)
    if reparented:
        Entity.objects.bulk_update(reparented, ["parent", "updated_at"], batch_size=500)
        fresh = set(report.created) | set(report.updated)
        report.updated += [e.slug for e in reparented if e.slug not in fresh]
    if report.updated or flag:
        entity_renamed(*changed, *reparented, *{a.entity for a in flag})
    elif new or add:
        _changed()
    return report


def _slug_of(row) -> str:
    return str(row.get("slug") or "").strip()


def _in_chunks(queryset, field_name: str, values, size: int = 900):
    """``queryset.filter(<field>__in=values)`` in chunks (SQLite's variable limit)."""
    values = [v for v in dict.fromkeys(values) if v not in ("", None)]
    for n in range(0, len(values), size):
        yield from queryset.filter(**{f"{field_name}__in": values[n : n + size]})


def _free_slug(name: str, taken: set[str]) -> str:
    return pinyin.free_slug(unique_slug(name), taken)


def gazetteer_files(path: Path | str | None = None) -> list[Path]:
    """The starter gazetteer: ``data/gazetteer.json`` and every ``data/gazetteer/*.json``."""
    if path:
        path = Path(path)
        return sorted(path.glob("*.json")) if path.is_dir() else [path]
    return [GAZETTEER_PATH, *sorted(GAZETTEER_DIR.glob("*.json"))]


def gazetteer_rows(path: Path | str | None = None) -> list[dict]:
    rows = []
    for file in gazetteer_files(path):
        try:
            rows.extend(read_rows(file.read_text(encoding="utf-8"), format="json"))
        except EntityImportError as exc:
            raise EntityImportError([(f"{file.name}:{n}", why) for n, why in exc.errors]) from exc
    return rows


def load_gazetteer(path: Path | str | None = None, *, by: User | None = None) -> ImportReport:
    """Load the starter gazetteer (``gazetteer.json`` plus ``gazetteer/*.json``); idempotent."""
    return import_entities(gazetteer_rows(path), by=by)


def check_gazetteer(rows: list[dict]) -> list[str]:
    """Problems in gazetteer rows (what the data test asserts is empty).

    Every slug unique, every type valid, every parent present, and no name (canonical,
    English or alias, compared as the linker folds them) shared by two entities unless each
    of them but at most one marks it ``ambiguous``.
    """
    problems = []
    slugs: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        slug = _slug_of(row)
        if not slug:
            problems.append(f"row {n} ({row.get('name')}): no slug")
        elif slug in slugs:
            problems.append(f"slug {slug!r} twice (rows {slugs[slug]} and {n})")
        slugs.setdefault(slug, n)
        if row.get("type") not in EntityType.values:
            problems.append(f"{slug}: unknown type {row.get('type')!r}")
        if not str(row.get("name") or "").strip():
            problems.append(f"{slug}: no name")
    for row in rows:
        parent = str(row.get("parent") or "").strip()
        if parent and parent not in slugs:
            problems.append(f"{_slug_of(row)}: parent {parent!r} does not exist")
    owners: dict[str, list[tuple[str, bool]]] = {}
    for row in rows:
        slug, ambiguous = _slug_of(row), {linking.fold(a) for a in _ambiguous_names(row)}
        names = {str(row.get("name") or ""), str(row.get("name_en") or "")}
        names |= {a for a, _k in _aliases_as_pairs(row.get("aliases"))}
        for key in {linking.fold(n.strip()) for n in names if len(n.strip()) >= 2}:
            owners.setdefault(key, []).append((slug, key in ambiguous))
    for key, rows_of in sorted(owners.items()):
        unmarked = [slug for slug, marked in rows_of if not marked]
        if len(rows_of) > 1 and len(unmarked) > 1:
            problems.append(f"name {key!r} of {', '.join(unmarked)} not marked ambiguous")
    return problems
