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

from django.db.models import Count

from ._archive import archive, time_requests
from ._archive import p95 as percentile_95

SAMPLES = 40
QUICK_SAMPLES = 15
SEARCHES = ["罗氏", "恒瑞", "FDA", "融资", "GLP-1", "AI"]


def run(*, out, quick: bool) -> dict[str, str]:
    from rest_framework.test import APIClient

    from ..models import Bulletin, Entity, Item, ItemEntity

    days, per_day, n_entities = (60, 25, 500) if quick else (3650, 25, 5000)
    samples = QUICK_SAMPLES if quick else SAMPLES
    with archive(days=days, per_day=per_day, entities=n_entities, out=out) as figures:
        rng = random.Random(7)
        issues = list(Bulletin.objects.published().values_list("issued_on", flat=True))
        item_ids = list(Item.objects.published().values_list("pk", flat=True)[::per_day])
        linked = (
            ItemEntity.objects.confirmed()
            .values("entity__slug")
            .annotate(n=Count("pk"))
            .order_by("-n")
        )
        popular = [row["entity__slug"] for row in linked[:3]]
        entities = popular + list(
            Entity.objects.public().order_by("?").values_list("slug", flat=True)[:samples]
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
        # Deep pages of the numbered lists: by cursor (the `next` links) and by an old
        # ?page=N (still served, with OFFSET), at depth 1, 100 and last (issue 16).
        for name, url in (("bulletins", "/api/v1/bulletins/"), ("entities", "/api/v1/entities/")):
            last = -(-client.get(url).json()["count"] // 20)
            for depth in sorted({min(100, last), last}):
                endpoints[f"{name}, page {depth} by cursor"] = [cursor_url(client, url, depth)]
                endpoints[f"{name}, ?page={depth}"] = [f"{url}?page={depth}"]
        worst, worst_name = 0.0, ""
        for name, paths in endpoints.items():
            cpu = []
            times = time_requests(client, paths, samples, cpu=cpu)
            p95 = percentile_95(times)
            if p95 > worst:
                worst, worst_name = p95, name
            figures[f"p95 {name}"] = (
                f"{p95:.1f} ms (median {statistics.median(times):.1f}; "
                f"CPU median {statistics.median(cpu):.1f})"
            )
        figures["worst p95"] = f"{worst:.1f} ms, {worst_name} (target < 50 ms)"
    return figures


def cursor_url(client, url: str, depth: int) -> str:
    """The cursor link that reaches page ``depth`` (the ``next`` of page ``depth - 1``)."""
    if depth == 1:
        return url
    return client.get(f"{url}?page={depth - 1}").json()["next"]
