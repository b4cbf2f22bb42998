"""What the archive benchmarks share: the generated ten-year archive and request timing.

On SQLite the archive lives in its own file under ``var/bench/`` (generated once by
``generate_archive``, reused by later runs, never mixed into the development database) and is
ANALYZEd once, as a production database would be; on PostgreSQL the configured database is
used as it is (autovacuum analyses by itself).
"""

import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connections


def p95(values) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def clear_caches() -> None:
    """The page cache and the shared one: the API's throttle counts live there (files when
    there is no Redis), and a benchmark's hundreds of requests would be answered 429."""
    cache.clear()
    caches["shared"].clear()


def time_requests(client, paths, samples, *, ok=(200,), cpu=None) -> list[float]:
    """Milliseconds per request, the cache cleared before each (uncached); ``cpu``, a list,
    receives each request's CPU milliseconds of this process (``time.process_time``)."""
    for url in set(paths):  # a server is long-running: imports and template loading are paid
        clear_caches()
        client.get(url)
    times = []
    for i in range(samples):
        url = paths[i % len(paths)]
        clear_caches()
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - cpu_started) * 1000)
        if response.status_code not in ok:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return times


def _analyze(connection) -> None:
    # Without sqlite_stat1 SQLite guesses that the (status, bulletin) index is selective and
    # sorts every published item for a page; with it, it walks issues newest first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if not cursor.fetchone()[0]:
            cursor.execute("ANALYZE")


@contextmanager
def archive(*, days: int, per_day: int, entities: int, out):
    """Point the default database at a generated archive of that size; yields the figures dict."""
    from ..models import Bulletin

    connection = connections["default"]
    original_name = connection.settings_dict["NAME"]
    figures = {}
    if connection.vendor == "sqlite":
        folder = Path(settings.VAR_DIR) / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        name = folder / f"site-{days}d.sqlite3"
        connection.close()
        connection.settings_dict["NAME"] = str(name)
        figures["database"] = str(name)
    else:
        figures["database"] = f"the configured {connection.vendor} database"
    try:
        call_command("migrate", verbosity=0, interactive=False)
        if Bulletin.objects.published().count() < days:
            out.write(f"  generating {days} days × {per_day} items, {entities} entities…\n")
            started = time.perf_counter()
            call_command(
                "generate_archive",
                days=days,
                items_per_day=per_day,
                entities=entities,
                seed=1,
                no_progress=True,
                stdout=out,
            )
            figures["archive generated in"] = f"{time.perf_counter() - started:.0f} s"
        from ..readmodels import EntityMentionTotal, rebuild

        if not EntityMentionTotal.objects.exists():  # an archive from before the read models
            out.write("  building the read models…\n")
            started = time.perf_counter()
            rebuild()
            figures["read models rebuilt in"] = f"{time.perf_counter() - started:.0f} s"
        if connection.vendor == "sqlite":
            _analyze(connection)
        yield figures
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name
