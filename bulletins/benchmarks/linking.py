"""The linker with a large gazetteer: 30 items linked in under 10 ms, the automaton in < 1 s.

Measures, each inside a transaction that is rolled back (the database is left as it was):

- the shipped starter gazetteer (``load_gazetteer``: ~1,600 entities): its load time, the
  automaton build, and a real 30-item issue (items of the evaluation set's tuning part) —
  ``suggest_for_items`` (links) and ``analyse_texts`` (links + discovery candidates), p95;
- a synthetic 20,000-alias gazetteer: the automaton build, matching 30 items in memory, and
  the whole ``suggest_for_items`` path with its version check.
"""

import os
import random
import statistics
import time
from pathlib import Path

from django.db import transaction

from ..demo import content
from ..linking import Gazetteer, suggest_for_items
from ..models import Entity, EntityAlias, Item

CJK = "安百宝博成创达德迪恩法丰福复港海和恒华环济嘉健金锦康科来蓝礼联龙美明南诺普齐瑞润森"
CJK += "生圣盛时士泰天通万维沃昕信星亚药医益英永优元云泽兆正智中众卓"
SUFFIXES = ["医药", "生物", "制药", "科技", "医疗", "资本", "基金", "药业", "生命科学"]


class _Rollback(Exception):
    pass


def _names(n: int, rng: random.Random) -> list[str]:
    names = set()
    while len(names) < n:
        if rng.random() < 0.2:
            names.add("".join(rng.choices("ABCDEFGHJKLMNPRSTVXYZ", k=rng.randint(3, 5))))
        else:
            names.add("".join(rng.choices(CJK, k=rng.randint(2, 4))) + rng.choice(SUFFIXES))
    return sorted(names)


def _items(names: list[str], rng: random.Random) -> list[str]:
    texts = [body for _section, body, _h, _r in content.PUBLISHED_ITEMS + content.DRAFT_ITEMS]
    while len(texts) < 30:
        base = rng.choice(texts[:15])
        cut = rng.randrange(len(base))
        texts.append(f"{rng.choice(names)}与{rng.choice(names)}宣布," + base[:cut] + base[cut:])
    return texts[:30]


def _timed(func, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _cpu_timed(func, repeat: int) -> list[float]:
    """CPU time of this process: on a shared machine the wall clock also counts other
    processes' turns (both are printed)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        func()
        times.append((time.process_time() - started) * 1000)
    return times


def _both(func, repeat: int) -> str:
    return f"wall {_ms(_timed(func, repeat))}; CPU {_ms(_cpu_timed(func, repeat))}"


def _ms(values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms"


def _evaluation_items(n: int) -> list[str]:
    from django.conf import settings

    from ..importers.parser import parse_issue

    texts = []
    for path in sorted((Path(settings.BASE_DIR) / "evaluation" / "tuning").glob("*.txt")):
        parsed = parse_issue(path.read_text(encoding="utf-8"), known_sections={})
        texts += [item.body for section in parsed.sections for item in section.items]
    return texts[:n]


def _shipped(figures: dict, quick: bool) -> None:
    from ..entities import load_gazetteer
    from ..linking import _build, _stamp, analyse_texts

    texts = _evaluation_items(30)
    if len(texts) < 30:
        figures["shipped gazetteer"] = "skipped: evaluation/tuning/ has fewer than 30 items"
        return
    try:
        with transaction.atomic():
            started = time.perf_counter()
            report = load_gazetteer()
            figures["shipped gazetteer: load_gazetteer"] = (
                f"{(time.perf_counter() - started) * 1000:.0f} ms "
                f"({len(report.created)} entities, {report.aliases_added} aliases)"
            )
            figures["shipped gazetteer: automaton build (load names + build)"] = _both(
                lambda: _build(_stamp()), 3 if quick else 10
            )
            items = [Item(pk=i + 1, body=t) for i, t in enumerate(texts)]
            suggest_for_items(items[:1])
            repeat = 30 if quick else 200
            figures["shipped gazetteer: suggest_for_items, 30-item issue"] = _both(
                lambda: suggest_for_items(items), repeat
            )
            by_key = dict(enumerate(texts))
            figures["shipped gazetteer: analyse_texts (links + candidates), 30 items"] = _both(
                lambda: analyse_texts(by_key), repeat
            )
            raise _Rollback
    except _Rollback:
        pass


def run(*, out, quick: bool) -> dict[str, str]:
    rng = random.Random(17)
    n_aliases = 2_000 if quick else 20_000
    n_entities = n_aliases // 4
    names = _names(n_aliases, rng)
    pairs = [(name, i % n_entities) for i, name in enumerate(names)]
    texts = _items(names, rng)
    figures = {}
    _shipped(figures, quick)

    started = time.perf_counter()
    gazetteer = Gazetteer(pairs)
    figures["build automaton"] = (
        f"{(time.perf_counter() - started) * 1000:.0f} ms for {n_aliases} aliases"
    )
    found = sum(len(gazetteer.find(t)) for t in texts)
    figures["match 30 items (in memory)"] = _ms(
        _timed(lambda: [gazetteer.find(t) for t in texts], 200)
    )
    figures["mentions found in the 30 items"] = str(found)

    try:
        with transaction.atomic():
            entities = Entity.objects.bulk_create(
                Entity(type="company", name=f"基准实体{i}", slug=f"bench-entity-{i}")
                for i in range(n_entities)
            )
            EntityAlias.objects.bulk_create(
                EntityAlias(entity=entities[i % n_entities], alias=name, kind="zh")
                for i, name in enumerate(names)
            )
            items = [Item(pk=i + 1, body=t) for i, t in enumerate(texts)]
            started = time.perf_counter()
            suggest_for_items(items[:1])
            figures["first call (loads entities, builds automaton)"] = (
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
            figures["suggest_for_items, 30 items (version check + matching)"] = _both(
                lambda: suggest_for_items(items), 100
            )
            raise _Rollback
    except _Rollback:
        pass
    out.write(f"  {n_aliases} aliases of {n_entities} entities, 30 items\n")
    if hasattr(os, "getloadavg"):
        out.write(f"  load average while measuring: {os.getloadavg()[0]:.1f}\n")
    return figures
