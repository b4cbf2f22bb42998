"""Score the linker, discovery and facts against hand-written gold issues (``evaluation/``).

Each issue runs through the real path an import takes — ``importers.service.plan_import``
(parse, headline matching, the cached linker, discovery, the split of discoveries into the
ones an import creates and links and the ones left as candidates) and ``facts.extract`` —
without saving anything. The gold format is described in ``evaluation/README.md``.

Scoring (per part and per gold entity type):

- an *automatic link* is exactly what the import links as confirmed by default: an
  unambiguous gazetteer suggestion, or a high-confidence discovery (``PlannedItem.discoveries``:
  a rule class in ``discovery.AUTO_RULES``, or a name such a discovery gave in the same issue)
  that the import creates as an entity. A gazetteer link is correct when the text it matched
  or one of the entity's names is one of the names of a gold entity of that item; a
  discovery when its printed text, name or an alias is one — of a gold entity *of its type*
  (the entity is created with that type). Precision = correct links / links; recall = gold
  entities with a correct link / gold entities. The gazetteer-only figures (what linked
  before discoveries were created) are reported on an extra line.
- *links + candidates* recall: a gold entity counts as found when a correct link, an ambiguous
  suggestion's text or a discovery candidate's name/alias/printed text is one of its names.
- *candidate precision per rule class* (``discovery.RULES``): over every discovery the
  linker leaves (created ones and candidates alike), correct as for a discovery link above.
  It decides which classes are created automatically (``discovery.AUTO_RULES``: ≥ 0.98 on
  the tuning part, with enough candidates).
- facts, for the items the gold calls financing or approval: a field is exact when the
  extraction equals the gold — both absent counts as exact, anything else (missing, wrong,
  or a value where the gold has none) does not. Amount compares the number and the
  approximate flag; currency alone; lead investors as a set; the regulator by the gold's code
  mapped to the canonical name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import discovery, linking
from . import facts as facts_module

# The gold names regulators by a short code; the facts contract stores the canonical name.
REGULATOR_CODES = {
    "NMPA": "国家药品监督管理局",
    "CDE": "国家药品监督管理局药品审评中心",
    "FDA": "美国食品药品监督管理局",
    "EMA": "欧洲药品管理局",
    "EC": "欧盟委员会",
    "PMDA": "日本医药品医疗器械综合机构",
    "MHLW": "日本厚生劳动省",
    "MHRA": "英国药品和保健品监管局",
    "Health Canada": "加拿大卫生部",
    "TGA": "澳大利亚治疗用品管理局",
    "MFDS": "韩国食品药品安全部",
    "HSA": "新加坡卫生科学局",
    "AIFA": "意大利药品管理局",
    "NHSA": "国家医疗保障局",
    "ANVISA": "巴西国家卫生监督局",
    "Swissmedic": "瑞士治疗产品管理局",
}
FINANCING_FIELDS = ("event_kind", "amount", "currency", "round", "lead_investors")
APPROVAL_FIELDS = ("event_kind", "regulator", "decision")


@dataclass
class Ratio:
    hit: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.hit += bool(ok)

    @property
    def value(self) -> float | None:
        return self.hit / self.total if self.total else None

    def __str__(self) -> str:
        if not self.total:
            return "   -   (0/0)"
        return f"{self.value:.3f} ({self.hit}/{self.total})"


@dataclass
class TypeScore:
    precision: Ratio = field(default_factory=Ratio)
    recall: Ratio = field(default_factory=Ratio)
    recall_with_candidates: Ratio = field(default_factory=Ratio)


@dataclass
class PartScore:
    name: str
    issues: int = 0
    items: int = 0
    links: TypeScore = field(default_factory=TypeScore)
    by_type: dict[str, TypeScore] = field(default_factory=dict)
    gazetteer: TypeScore = field(default_factory=TypeScore)  # gazetteer links alone
    discovered: Ratio = field(default_factory=Ratio)  # precision of the created discoveries
    by_rule: dict[str, Ratio] = field(default_factory=dict)  # candidate precision per class
    # the same per class over every span the rule reads, names the gazetteer knows included
    by_rule_all: dict[str, Ratio] = field(default_factory=dict)
    financing: dict[str, Ratio] = field(default_factory=dict)
    approval: dict[str, Ratio] = field(default_factory=dict)
    event_kind: Ratio = field(default_factory=Ratio)
    misses: list[str] = field(default_factory=list)

    def type_score(self, type_: str) -> TypeScore:
        return self.by_type.setdefault(type_, TypeScore())

    def field(self, group: str, name: str) -> Ratio:
        return getattr(self, group).setdefault(name, Ratio())


class GoldError(ValueError):
    """A gold file that does not line up with its issue (which file, which item, why)."""


def _entity_names(entity) -> set[str]:
    names = {entity.name, entity.name_en}
    names |= {a.alias for a in getattr(entity, "_eval_aliases", ())}
    return {linking.fold(n) for n in names if n}


def _amount_key(amount) -> tuple | None:
    if not amount:
        return None
    if isinstance(amount, facts_module.Amount):
        amount = amount.as_json()
    return (amount.get("amount"), bool(amount.get("approximate")))


def _discovery_matches(candidate, gold_entities) -> list[int]:
    names = {linking.fold(n) for n in (candidate.text, *candidate.names)}
    return [
        i
        for i, (type_, gold_names) in enumerate(gold_entities)
        if type_ == candidate.type and names & gold_names
    ]


def score_item(part: PartScore, gold: dict, body: str, planned, found, entity_names) -> None:
    """Add one item's links, discoveries, candidates and facts to ``part``.

    ``planned``: the item as ``plan_import`` gives it (``suggestions``, ``discoveries``,
    ``candidates``)."""
    gold_entities = [
        (g["type"], {linking.fold(n) for n in g["names"]}) for g in gold.get("entities", [])
    ]
    found_by_link: set[int] = set()
    found_by_gazetteer: set[int] = set()
    found_by_candidate: set[int] = set()
    rules_of: dict[int, str] = {}  # gold entity → the rule class of a candidate naming it
    for suggestion in planned.suggestions:
        if suggestion.entity is None:  # ambiguous: a candidate for the editor, not a link
            text = linking.fold(suggestion.text)
            found_by_candidate |= {
                i for i, (_t, names) in enumerate(gold_entities) if text in names
            }
            continue
        names = entity_names(suggestion.entity) | {linking.fold(suggestion.text)}
        matches = [i for i, (_t, gold_names) in enumerate(gold_entities) if names & gold_names]
        type_ = gold_entities[matches[0]][0] if matches else suggestion.entity.type
        part.links.precision.add(bool(matches))
        part.type_score(type_).precision.add(bool(matches))
        if not matches:
            part.misses.append(
                f"  wrong link: {suggestion.text} → {suggestion.entity.name} ({type_})"
            )
        part.gazetteer.precision.add(bool(matches))
        found_by_link |= set(matches)
    found_by_gazetteer = set(found_by_link)
    for candidate in discovery.find(body):
        matches = _discovery_matches(candidate, gold_entities)
        part.by_rule_all.setdefault(candidate.rule, Ratio()).add(bool(matches))
    linked_keys: set[str] = set()
    for discovered in planned.discoveries:
        candidate = discovered.candidate
        matches = _discovery_matches(candidate, gold_entities)
        part.by_rule.setdefault(candidate.rule, Ratio()).add(bool(matches))
        if discovered.key in linked_keys:  # one link per entity and item, as the import
            found_by_link |= set(matches)
            continue
        linked_keys.add(discovered.key)
        type_ = gold_entities[matches[0]][0] if matches else candidate.type
        for ratio in (part.links.precision, part.type_score(type_).precision, part.discovered):
            ratio.add(bool(matches))
        if not matches:
            part.misses.append(
                f"  wrong discovery: {candidate.text} → {discovered.name} ({candidate.type}, "
                f"{candidate.rule})"
            )
        found_by_link |= set(matches)
    for candidate in planned.candidates:
        matches = _discovery_matches(candidate, gold_entities)
        part.by_rule.setdefault(candidate.rule, Ratio()).add(bool(matches))
        if not matches and candidate.rule in discovery.RULES:
            part.misses.append(
                f"  wrong candidate: {candidate.text} ({candidate.type}, {candidate.rule})"
            )
        names = {linking.fold(n) for n in (candidate.text, *candidate.names)}
        for i, (_t, gold_names) in enumerate(gold_entities):
            if names & gold_names:
                found_by_candidate.add(i)
                rules_of.setdefault(i, candidate.rule or "ambiguous")
    for i, (type_, names) in enumerate(gold_entities):
        linked, proposed = i in found_by_link, i in found_by_link | found_by_candidate
        for score in (part.links, part.type_score(type_)):
            score.recall.add(linked)
            score.recall_with_candidates.add(proposed)
        part.gazetteer.recall.add(i in found_by_gazetteer)
        if not proposed:
            part.misses.append(f"  missed: {sorted(names)[0]} ({type_})")
        elif not linked:
            part.misses.append(
                f"  candidate only: {sorted(names)[0]} ({type_}, {rules_of.get(i, 'ambiguous')})"
            )

    kind = gold.get("event_kind", "")
    part.event_kind.add(found.event_kind == kind)
    if found.event_kind != kind:
        part.misses.append(f"  event kind: got {found.event_kind or '-'}, gold {kind}")
    if kind not in ("financing", "approval"):
        return
    want = gold.get("facts", {})
    if kind == "financing":
        amount = found.amount.as_json() if found.amount else None
        checks = {
            "event_kind": found.event_kind == kind,
            "amount": _amount_key(amount) == _amount_key(want.get("amount")),
            "currency": (amount or {}).get("currency")
            == (want.get("amount") or {}).get("currency"),
            "round": found.financing_round == want.get("round", ""),
            "lead_investors": set(found.lead_investors) == set(want.get("lead_investors", [])),
        }
        group = "financing"
    else:
        code = want.get("regulator", "")
        checks = {
            "event_kind": found.event_kind == kind,
            "regulator": found.regulator == REGULATOR_CODES.get(code, code),
            "decision": found.decision == want.get("decision", ""),
        }
        group = "approval"
    for name, ok in checks.items():
        part.field(group, name).add(ok)
        if not ok:
            part.misses.append(
                f"  {group} {name}: got {_got(found, name)!r}, gold {want.get(name if name != 'currency' else 'amount')!r}"
            )


def _got(found, name):
    if name in ("amount", "currency"):
        return found.amount.as_json() if found.amount else None
    if name == "round":
        return found.financing_round
    return getattr(found, name)


def issue_files(root: Path, part: str) -> list[tuple[Path, Path]]:
    folder = root / part
    if not folder.is_dir():
        raise GoldError(f"{folder}: no such folder")
    pairs = []
    for text in sorted(folder.glob("*.txt")):
        gold = text.with_name(text.stem + ".gold.json")
        if not gold.exists():
            raise GoldError(f"{text}: no gold file {gold.name} beside it")
        pairs.append((text, gold))
    return pairs


def evaluate_part(root: Path, part: str, *, progress=None) -> PartScore:
    """Score every issue of ``root/part``; reads the database (the gazetteer), writes nothing."""
    from .importers.service import plan_import
    from .models import EntityAlias

    score = PartScore(part)
    aliases: dict[int, list] = {}
    for alias in EntityAlias.objects.only("entity_id", "alias"):
        aliases.setdefault(alias.entity_id, []).append(alias)
    names_cache: dict[int, set[str]] = {}

    def entity_names(entity) -> set[str]:
        if entity.pk not in names_cache:
            entity._eval_aliases = aliases.get(entity.pk, ())
            names_cache[entity.pk] = _entity_names(entity)
        return names_cache[entity.pk]

    for text_path, gold_path in issue_files(root, part):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        plan = plan_import(text_path.read_text(encoding="utf-8"))
        items = plan.items
        score.issues += 1
        score.misses.append(f"{part}/{text_path.name}")
        for gold_item in gold["items"]:
            n = gold_item["n"]
            if not 1 <= n <= len(items):
                raise GoldError(
                    f"{gold_path.name}: item {n} is not in the issue ({len(items)} items)"
                )
            body = items[n - 1].body
            if not body.startswith(gold_item.get("starts", "")):
                raise GoldError(
                    f"{gold_path.name}: item {n} starts {body[:12]!r}, "
                    f"the gold says {gold_item.get('starts')!r}"
                )
            score.items += 1
            score.misses.append(f" #{n} {body[:16]}")
            score_item(
                score, gold_item, body, items[n - 1], facts_module.extract(body), entity_names
            )
        if progress:
            progress(text_path.name)
    return score


def _precise_enough(ratio: Ratio | None, support: int) -> bool:
    return ratio is not None and ratio.total >= support and ratio.value >= discovery.AUTO_PRECISION


def measured_auto_rules(score: PartScore) -> frozenset[str]:
    """The rule classes precise enough on ``score`` (the tuning part) to be created by an
    import: precision ≥ ``discovery.AUTO_PRECISION`` over the candidates the linker leaves
    (≥ ``AUTO_MIN_SUPPORT``) and over every span the rule reads (≥ ``AUTO_MIN_SPANS``; known names
    included: the grown gazetteer knows most tuning names, so the first count alone rests on a
    handful of names). ``discovery.AUTO_RULES`` must be exactly this set for the tuning part
    (a test checks it)."""
    return frozenset(
        rule
        for rule, ratio in score.by_rule.items()
        if _precise_enough(ratio, discovery.AUTO_MIN_SUPPORT)
        and _precise_enough(score.by_rule_all.get(rule), discovery.AUTO_MIN_SPANS)
    )


def report(score: PartScore) -> list[str]:
    links = score.links
    lines = [
        f"{score.name}: {score.issues} issues, {score.items} items, "
        f"{links.recall.total} gold entities",
        f"  automatic links      precision {links.precision}   recall {links.recall}",
        f"    gazetteer only     precision {score.gazetteer.precision}   "
        f"recall {score.gazetteer.recall}",
        f"    discoveries created precision {score.discovered}",
        f"  links + candidates   recall {links.recall_with_candidates}",
        "  by type              links precision     links recall        + candidates recall",
    ]
    for type_, ts in sorted(score.by_type.items()):
        lines.append(
            f"    {type_:<12} {ts.precision!s:<20} {ts.recall!s:<20} {ts.recall_with_candidates}"
        )
    lines.append(
        f"  candidate precision by rule class (auto = created by an import; threshold "
        f"{discovery.AUTO_PRECISION:.2f} in both columns on tuning, with ≥ "
        f"{discovery.AUTO_MIN_SUPPORT} candidates left and ≥ {discovery.AUTO_MIN_SPANS} spans read)"
    )
    lines.append("         class                  candidates left      every span read")
    rules = set(score.by_rule) | set(score.by_rule_all)
    for rule in sorted(rules, key=lambda r: (r not in discovery.AUTO_RULES, r)):
        mark = "auto" if rule in discovery.AUTO_RULES else "    "
        left = score.by_rule.get(rule, Ratio())
        lines.append(f"    {mark} {rule:<22} {left!s:<20} {score.by_rule_all.get(rule, Ratio())}")
    lines.append(f"  event kind (all items)   {score.event_kind}")
    for group, fields in (("financing", FINANCING_FIELDS), ("approval", APPROVAL_FIELDS)):
        ratios = getattr(score, group)
        n = ratios.get("event_kind", Ratio()).total
        lines.append(f"  {group} items ({n}):")
        for name in fields:
            lines.append(f"    {name:<16} {ratios.get(name, Ratio())}")
    return lines
