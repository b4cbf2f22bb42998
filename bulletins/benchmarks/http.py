"""A real HTTP benchmark: gunicorn with several workers on loopback, loaded by ``wrk``.

Targets (issue 16): a cached page ≥ 0.9× the throughput of a hello-world view served by the
same workers with the same settings, a ``304`` ≥ 0.8×, a worker < 150 MB RSS after the run,
and a publication visible on every worker within one second. Uncached pages (issue, entity),
a search and an API list are reported as req/s and as a ratio to hello-world.

How: the archive of the site benchmark (``_archive.archive``) is served by
``gunicorn -w WORKERS`` with production settings (``DEBUG=0``; ``_http_settings`` adds the
hello-world view and an ``X-Bench-Worker`` header), twice — page cache off (uncached figures)
and on (cached figures, then the publication test). ``wrk`` (Debian's package) runs
``-t2 -c CONNECTIONS -d SECONDS`` per URL set, rotating through the URLs with a Lua script.
Ports: ``NEWSROOM_BENCH_PORT`` (default 8181). Everything is bounded: a run takes about
``(5 + 3 × 3 / 2) × SECONDS`` plus start-up; the cached figures are the best of three
alternating rounds. The machine's load average is printed beside the figures,
because throughput on a shared machine is only comparable within one run.
"""

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connections

from ._archive import archive

WORKERS = 3
CONNECTIONS = 8
SECONDS = 5
QUICK_SECONDS = 2
PUBLISH_DAY = dt.date(2026, 3, 17)  # the day after the generated archive ends


def _wrk(url_base: str, paths: list[str], seconds: int, headers=()) -> dict:
    """req/s and latency of ``wrk`` rotating through ``paths``."""
    script = "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
    script += "headers = {" + ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers)
    script += "}\n"
    script += (
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1], headers)\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                handle.name,
                url_base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", result)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else None,
        "errors": int(errors.group(1)) if errors else 0,
    }


class Server:
    """``gunicorn -w WORKERS`` on loopback with the benchmark settings; stopped on exit."""

    def __init__(self, *, port: int, env: dict, workers: int = WORKERS):
        self.port, self.env, self.workers = port, env, workers
        self.base = f"http://127.0.0.1:{port}"

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "newsroom.wsgi",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            env=self.env,
            cwd=settings.BASE_DIR,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/bench/hello/", timeout=5) as response:
                    if response.status == 200 and len(self.worker_pids()) >= self.workers:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start (see its output above)")
            time.sleep(0.3)
        return self

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        return sizes

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _get(url: str, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _environment(database: str, *, page_cache: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PAGE_CACHE_SECONDS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bulletins.benchmarks._http_settings",
        DATABASE_URL=database,
        DEBUG="0",
        SECRET_KEY="bench-only-not-a-secret-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        PAGE_CACHE_SECONDS=str(page_cache),
        API_ANON_RATE="100000000/minute",
        API_USER_RATE="100000000/minute",
    )
    return env


def _database_url() -> str:
    connection = connections["default"]
    data = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{data['NAME']}"
    return os.environ["DATABASE_URL"]


def _publish_probe(server: Server, out) -> float:
    """Publish a new issue through the workflow; seconds until every worker serves it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .. import workflow
    from ..models import Bulletin, Section
    from ..roles import CHIEF, EDITOR, REVIEWER

    users = {}
    for role in (EDITOR, REVIEWER, CHIEF):
        user, _created = get_user_model().objects.get_or_create(username=f"bench-{role}")
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[role] = user
    Bulletin.objects.filter(issued_on=PUBLISH_DAY).delete()
    bulletin = workflow.create_bulletin(issued_on=PUBLISH_DAY, by=users[EDITOR])
    section = Section.objects.order_by("position").first()
    workflow.add_item(
        bulletin,
        by=users[EDITOR],
        section=section,
        body="基准测试条目:发布后每个进程在一秒内可见。",
        headline="基准测试发布",
        headline_rank=1,
    )
    workflow.submit_bulletin(bulletin, by=users[EDITOR])
    for item in bulletin.items.all():
        workflow.approve_item(item, by=users[REVIEWER])
    marker = f"/{PUBLISH_DAY:%Y/%m/%d}/".encode()
    workers = set(server.worker_pids())
    # Every worker has the old home page in its cache first.
    for _n in range(40):
        _get(server.base + "/")
    seen: dict[str, float] = {}
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            status, headers, body = _get(server.base + "/")
            worker = headers.get("X-Bench-Worker")
            if status == 200 and marker in body and worker not in seen:
                seen[worker] = time.monotonic()

    try:
        workflow.publish(Bulletin.objects.get(pk=bulletin.pk), by=users[CHIEF])
        published_at = time.monotonic()  # committed: from here on readers may see it
        threads = [threading.Thread(target=poll) for _n in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len({int(w) for w in seen} & workers) < len(workers):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        Bulletin.objects.filter(pk=bulletin.pk).delete()
    if len({int(w) for w in seen} & workers) < len(workers):
        out.write(f"  only {len(seen)} of {len(workers)} workers showed the new issue in 10 s\n")
        return float("inf")
    return max(seen.values()) - published_at


def run(*, out, quick: bool) -> dict[str, str]:
    from ..models import Bulletin, Entity, Item

    if shutil.which("wrk") is None:  # the other benchmarks still run
        return {"not run": "wrk is not installed (Debian: apt-get install wrk)"}
    seconds = QUICK_SECONDS if quick else SECONDS
    port = int(os.environ.get("NEWSROOM_BENCH_PORT", "8181"))
    days, per_day, n_entities = (60, 25, 500) if quick else (3650, 25, 5000)
    with archive(days=days, per_day=per_day, entities=n_entities, out=out) as figures:
        database = _database_url()
        issues = list(
            Bulletin.objects.published().order_by("?").values_list("issued_on", flat=True)[:50]
        )
        popular = list(Entity.objects.public().order_by("?").values_list("slug", flat=True)[:50])
        item_ids = list(Item.objects.published().order_by("?").values_list("pk", flat=True)[:3])
        connections["default"].close()  # the workers open their own
        issue_paths = [f"/{d:%Y/%m/%d}/" for d in issues]
        sets = {
            "uncached issue page": issue_paths,
            "uncached entity page": [quote(f"/entities/{slug}/") for slug in popular],
            "search": [
                "/search/?" + urlencode({"q": q})
                for q in ("罗氏", "融资", "FDA", "III期临床", "AI")
            ],
            "API list": ["/api/v1/items/", "/api/v1/bulletins/", "/api/v1/entities/"],
        }
        load = os.getloadavg()
        figures["machine"] = (
            f"{os.cpu_count()} CPUs, load average {load[0]:.1f} at start; "
            f"gunicorn -w {WORKERS}, wrk -t2 -c{CONNECTIONS} -d{seconds}s"
        )
        results = {}
        with Server(port=port, env=_environment(database, page_cache=0)) as server:
            for _warm in range(2):
                for paths in sets.values():
                    for path in paths[:10]:
                        _get(server.base + path)
            results["hello-world (uncached run)"] = _wrk(server.base, ["/bench/hello/"], seconds)
            for name, paths in sets.items():
                results[name] = _wrk(server.base, paths, seconds)
            rss_uncached = server.rss_mb()
        hello_uncached = results["hello-world (uncached run)"]["rps"]
        with Server(port=port, env=_environment(database, page_cache=300)) as server:
            for path in issue_paths[:5]:
                _get(server.base + path)
            item_path = f"/api/v1/items/{item_ids[0]}/"
            status, headers, _body = _get(server.base + item_path)
            etag = headers.get("ETag")
            if status != 200 or not etag:
                raise RuntimeError(f"no ETag on the API item ({status})")
            # Alternating rounds, best of each: load from other work hits all three alike.
            rounds = {
                "hello-world (cached run)": (["/bench/hello/"], ()),
                "cached issue page": (issue_paths[:5], ()),
                "304 (API item, If-None-Match)": ([item_path], [("If-None-Match", etag)]),
            }
            for _round in range(3):
                for name, (paths, extra) in rounds.items():
                    result = _wrk(server.base, paths, max(1, seconds // 2), extra)
                    if name not in results or result["rps"] > results[name]["rps"]:
                        results[name] = result
            rss_cached = server.rss_mb()
            visible = _publish_probe(server, out)
        hello_cached = results["hello-world (cached run)"]["rps"]
        cached_run = ("hello-world (cached run)", "cached issue page", "304")
        for name, result in results.items():
            base = hello_cached if name.startswith(cached_run) else hello_uncached
            extra = f", p99 {result['p99_ms']:.0f} ms" if result["p99_ms"] is not None else ""
            if result["errors"]:
                extra += f", {result['errors']} non-2xx/3xx"
            figures[name] = f"{result['rps']:.0f} req/s = {result['rps'] / base:.2f}× hello{extra}"
        figures["cached / hello-world"] = (
            f"{results['cached issue page']['rps'] / hello_cached:.2f} (target ≥ 0.9)"
        )
        figures["304 / hello-world"] = (
            f"{results['304 (API item, If-None-Match)']['rps'] / hello_cached:.2f} (target ≥ 0.8)"
        )
        figures["worker RSS after the runs"] = (
            "uncached run "
            + ", ".join(f"{mb:.0f}" for mb in rss_uncached)
            + " MB; cached run "
            + ", ".join(f"{mb:.0f}" for mb in rss_cached)
            + " MB (target < 150 MB)"
        )
        figures["publish visible on every worker"] = f"{visible:.2f} s (target ≤ 1 s)"
        figures["load average at end"] = f"{os.getloadavg()[0]:.1f}"
    return figures
