"""A real worker against a scratch database and a local SMTP sink, for the exactly-once test
(``tests/test_mail_worker.py``) and ``manage.py bench mail``.

Everything runs on loopback: the sink listens on 127.0.0.1, the worker is
``manage.py db_worker`` in its own process with ``DATABASE_URL`` pointing at a scratch
database (a temporary SQLite file, or a throwaway PostgreSQL database beside the configured
one), so the development or test database is never touched.
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class SmtpSink:
    """An aiosmtpd server counting accepted messages per recipient.

    With ``stall_after=n`` the (n+1)-th message is held before the server answers, so a test
    can kill the sender while that message is not yet accepted; ``release()`` then refuses it.
    """

    def __init__(self, port: int, *, stall_after: int | None = None):
        self.port = port
        self.stall_after = stall_after
        self.received = Counter()
        self.stalled = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._controller = None

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        import asyncio

        if self.stall_after is not None and self.total >= self.stall_after:
            self.stalled.set()
            await asyncio.get_running_loop().run_in_executor(None, self._release.wait, 60)
            return "451 4.3.0 not accepted"
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.received[recipient.lower()] += 1
        return "250 OK"

    def release(self) -> None:
        self.stall_after = None
        self._release.set()

    def __enter__(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self._controller.stop()


def _env(database_url: str, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "PYTHONUNBUFFERED": "1",
        **{k: str(v) for k, v in extra.items()},
    }
    env.pop("REDIS_URL", None)  # rate limits and caches of the scratch run stay in-process
    return env


@contextmanager
def scratch_database(name: str):
    """A migrated, empty database of its own; yields its DATABASE_URL."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, _db = configured.rpartition("/")
        db_name = f"{_db.split('?')[0]}_{name}"
        admin_url = f"{base}/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name}"')
        url = f"{base}/{db_name}"
        try:
            manage(url, "migrate", "--noinput", "-v0")
            yield url
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory(prefix=f"newsroom-{name}-") as folder:
            url = f"sqlite:///{folder}/db.sqlite3"
            manage(url, "migrate", "--noinput", "-v0")
            yield url


def manage(database_url: str, *args, **env) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=_env(database_url, **env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def call(database_url: str, function: str, **kwargs):
    """Run ``distribution.worker_harness.<function>(**kwargs)`` in a process on that database."""
    code = (
        "import django, json, sys; django.setup(); "
        "from distribution import worker_harness as h; "
        f"print(json.dumps(h.{function}(**json.loads(sys.argv[1]))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(kwargs)],
        cwd=BASE_DIR,
        env=_env(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{function} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def start_worker(database_url: str, *, smtp_port: int, **settings_env) -> subprocess.Popen:
    env = _env(
        database_url,
        EMAIL_BACKEND_CLASS="django.core.mail.backends.smtp.EmailBackend",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_port,
        **settings_env,
    )
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            "-v0",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_until(condition, *, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


# ----------------------------------------------------------------------------- in the scratch db


def populate(*, subscribers: int, followers_share: float = 0.0, items: int = 20, seed: int = 1):
    """A published issue and confirmed subscribers; returns how many emails it should send.

    Generated names and text (never the sample issue). A ``followers_share`` of subscribers
    follow 1–5 entities instead of taking the whole issue.
    """
    import datetime as dt

    from django.utils import timezone

    from bulletins.models import (
        Bulletin,
        BulletinStatus,
        Entity,
        Item,
        ItemEntity,
        ItemStatus,
        Section,
    )
    from distribution.models import Follow, Subscriber, SubscriberStatus

    rng = random.Random(seed)
    now = timezone.now()
    section = Section.objects.order_by("position").first()
    bulletin = Bulletin.objects.create(
        issued_on=timezone.localdate(),
        status=BulletinStatus.PUBLISHED,
        publish_at=now - dt.timedelta(minutes=1),
    )
    entities = Entity.objects.bulk_create(
        Entity(type="company", name=f"测试药业{n:03d}", slug=f"bench-co-{n:03d}") for n in range(50)
    )
    created = Item.objects.bulk_create(
        Item(
            bulletin=bulletin,
            section=section,
            position=n + 1,
            status=ItemStatus.APPROVED,
            headline=f"测试药业{n:03d}完成融资" if n < 3 else "",
            headline_rank=n + 1 if n < 3 else None,
            body=f"测试药业{n:03d}宣布完成{n + 1}亿元B轮融资,资金将用于一款候选药物的临床开发。",
        )
        for n in range(items)
    )
    # The first ``items`` entities are in the issue, one each; the rest are not.
    ItemEntity.objects.bulk_create(
        ItemEntity(item=item, entity=entities[n]) for n, item in enumerate(created)
    )
    followers = int(subscribers * followers_share)
    rows = Subscriber.objects.bulk_create(
        (
            Subscriber(
                email=f"reader{n:05d}@example.com",
                status=SubscriberStatus.ACTIVE,
                wants_issue=n >= followers,
                confirmed_at=now - dt.timedelta(days=1),
            )
            for n in range(subscribers)
        ),
        batch_size=1000,
    )
    expected = subscribers - followers
    follows = []
    for subscriber in rows[:followers]:
        chosen = rng.sample(range(len(entities)), rng.randint(1, 5))
        follows += [Follow(subscriber=subscriber, entity=entities[n]) for n in chosen]
        expected += any(n < items for n in chosen)
    Follow.objects.bulk_create(follows, batch_size=2000)
    return {"bulletin": bulletin.pk, "expected": expected}


def dispatch(*, bulletin: int):
    from distribution import tasks

    tasks.dispatch_issue.enqueue(bulletin)
    return True


def delivery_counts():
    from django.db.models import Count

    from distribution.models import Delivery

    return dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
