"""The REST API on a generated archive: p95 per list and detail endpoint, uncached.

Target (DESIGN.md, issue 7): list and detail endpoints under 50 ms at p95 on SQLite with ten
years of issues (≈3,650 issues, ≈90,000 items, ≈5,000 entities), uncached.

The archive comes from ``generate_archive`` and lives in ``var/bench/`` beside the site
benchmark's (the same file name, so whichever benchmark runs first generates it once). Requests
go through DRF's test client — the whole middleware and DRF stack without a socket — as an
anonymous client, with the cache cleared before each sample (which also resets throttling).
The archive database is ANALYZEd once (see ``_analyze``).
"""

import random
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.db.models import Count

SAMPLES = 40
QUICK_SAMPLES = 15
SEARCHES = ["罗氏", "恒瑞", "FDA", "融资", "GLP-1", "AI"]


def _use_archive_database(days: int) -> str:
    connection = connections["default"]
    if connection.vendor != "sqlite":
        return f"the configured {connection.vendor} database"
    folder = Path(settings.VAR_DIR) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    name = folder / f"site-{days}d.sqlite3"  # shared with bulletins.benchmarks.site
    connection.close()
    connection.settings_dict["NAME"] = str(name)
    return str(name)


def _analyze():
    """Give SQLite's planner statistics once, as a production database would have them.

    Without ``sqlite_stat1`` SQLite guesses that the (status, bulletin) index is selective
    and sorts every published item for a page; with it, it walks issues newest first.
    PostgreSQL's autovacuum analyses by itself.
    """
    connection = connections["default"]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            cursor.execute("ANALYZE")


def _p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def _time(client, paths, samples):
    for url in set(paths):  # warm: a server has imported its code before the first request
        cache.clear()
        client.get(url)
    times = []
    for i in range(samples):
        url = paths[i % len(paths)]
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return times


def run(*, out, quick: bool) -> dict[str, str]:
    from rest_framework.test import APIClient

    from ..models import Bulletin, Entity, Item, ItemEntity

    days, per_day, n_entities = (60, 25, 500) if quick else (3650, 25, 5000)
    samples = QUICK_SAMPLES if quick else SAMPLES
    original_name = connections["default"].settings_dict["NAME"]
    figures = {"database": _use_archive_database(days)}
    try:
        call_command("migrate", verbosity=0, interactive=False)
        if Bulletin.objects.published().count() < days:
            out.write(f"  generating {days} days × {per_day} items, {n_entities} entities…\n")
            started = time.perf_counter()
            call_command(
                "generate_archive",
                days=days,
                items_per_day=per_day,
                entities=n_entities,
                seed=1,
                no_progress=True,
                stdout=out,
            )
            figures["archive generated in"] = f"{time.perf_counter() - started:.0f} s"
        _analyze()
        rng = random.Random(7)
        issues = list(Bulletin.objects.published().values_list("issued_on", flat=True))
        item_ids = list(Item.objects.published().values_list("pk", flat=True)[::per_day])
        linked = (
            ItemEntity.objects.filter(is_confirmed=True)
            .values("entity__slug")
            .annotate(n=Count("pk"))
            .order_by("-n")
        )
        popular = [row["entity__slug"] for row in linked[:3]]
        entities = popular + list(
            Entity.objects.filter(item_links__is_confirmed=True, merged_into__isnull=True)
            .distinct()
            .order_by("?")
            .values_list("slug", flat=True)[:samples]
        )
        figures["archive"] = (
            f"{len(issues)} issues, {Item.objects.published().count()} items, "
            f"{Entity.objects.count()} entities"
        )
        day_sample = rng.sample(issues, min(samples, len(issues)))
        client = APIClient()
        second_page = client.get("/api/v1/items/?page_size=20").json()["next"]
        endpoints = {
            "bulletins": ["/api/v1/bulletins/"],
            "bulletins, date range": [
                f"/api/v1/bulletins/?date_after={d:%Y-%m}-01&date_before={d}" for d in day_sample
            ],
            "bulletin detail": [f"/api/v1/bulletins/{d}/" for d in day_sample],
            "bulletin export": [f"/api/v1/bulletins/{d}/export/?format=text" for d in day_sample],
            "items": ["/api/v1/items/"],
            "items, page 2 (cursor)": [second_page],
            "items, page of 100": ["/api/v1/items/?page_size=100"],
            "items by entity": [f"/api/v1/items/?entity={slug}" for slug in entities],
            "items by entity + date": [
                f"/api/v1/items/?entity={slug}&date_after=2020-01-01&date_before=2022-12-31"
                for slug in entities
            ],
            "items by section, type, kind": [
                "/api/v1/items/?section=company-news&entity_type=drug&event_kind=approval",
                "/api/v1/items/?has_financing=true&ordering=date",
            ],
            "items search": [f"/api/v1/items/?q={q}" for q in SEARCHES],
            "item detail": [
                f"/api/v1/items/{pk}/" for pk in rng.sample(item_ids, min(samples, len(item_ids)))
            ],
            "entities": ["/api/v1/entities/", "/api/v1/entities/?type=drug"],
            "entities search": ["/api/v1/entities/?q=医药", "/api/v1/entities/?prefix=恒"],
            "entity detail": [f"/api/v1/entities/{slug}/" for slug in entities],
            "entity items": [f"/api/v1/entities/{slug}/items/" for slug in entities],
            "sections": ["/api/v1/sections/"],
        }
        worst, worst_name = 0.0, ""
        for name, paths in endpoints.items():
            times = _time(client, paths, samples)
            p95 = _p95(times)
            if p95 > worst:
                worst, worst_name = p95, name
            figures[f"p95 {name}"] = f"{p95:.1f} ms (median {statistics.median(times):.1f})"
        figures["worst p95"] = f"{worst:.1f} ms, {worst_name} (target < 50 ms)"
    finally:
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = original_name
    return figures
