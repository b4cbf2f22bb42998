"""The admin at ten years: server time of the large changelists, their searches and the
entity autocomplete, signed in as the chief editor (in-process, Django's test client).

Target (issue 16): < 150 ms at p95 on SQLite and PostgreSQL. Each sample is one request; the
figures give wall time and the process's CPU time (``time.process_time``), because wall time
on a shared machine includes waiting for a core.
"""

import statistics
import time

from ._archive import archive
from ._archive import p95 as percentile_95

SAMPLES = 15
QUICK_SAMPLES = 5
PAGES = {
    "entity list": "/admin/bulletins/entity/",
    "entity search gen": "/admin/bulletins/entity/?q=gen",
    "entity list by mentions": "/admin/bulletins/entity/?o=-4",
    "bulletin list": "/admin/bulletins/bulletin/",
    "item list": "/admin/bulletins/item/",
    "item search 宣布": "/admin/bulletins/item/?q=宣布",
    "item search 罗氏": "/admin/bulletins/item/?q=罗氏",
    "autocomplete ge": (
        "/admin/autocomplete/?app_label=bulletins&model_name=itementity&field_name=entity&term=ge"
    ),
    "autocomplete 恒": (
        "/admin/autocomplete/?app_label=bulletins&model_name=itementity&field_name=entity&term=恒"
    ),
    "dashboard": "/admin/bulletins/bulletin/dashboard/",
    "review queue": "/admin/bulletins/item/review/",
}


def run(*, out, quick: bool) -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from ..roles import CHIEF

    days, per_day, n_entities = (60, 25, 500) if quick else (3650, 25, 5000)
    samples = QUICK_SAMPLES if quick else SAMPLES
    with archive(days=days, per_day=per_day, entities=n_entities, out=out) as figures:
        user, _created = get_user_model().objects.get_or_create(
            username="bench-admin-chief", defaults={"is_staff": True}
        )
        user.groups.add(Group.objects.get_or_create(name=CHIEF)[0])
        client = Client()
        client.force_login(user)
        worst = 0.0
        for name, url in PAGES.items():
            response = client.get(url)  # warm: templates, the linker, the URL resolver
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            walls, cpus = [], []
            for _n in range(samples):
                wall, cpu = time.perf_counter(), time.process_time()
                client.get(url)
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            worst = max(worst, percentile_95(walls))
            figures[f"p95 {name}"] = (
                f"{percentile_95(walls):.0f} ms (median {statistics.median(walls):.0f}; "
                f"CPU p95 {percentile_95(cpus):.0f} ms)"
            )
        figures["worst p95"] = f"{worst:.0f} ms (target < 150 ms)"
    return figures
