"""What keeping the read models costs the writer: publishing one new issue of 25 items through
the workflow on the ten-year archive, retracting it, and one link change (link, then unlink)
on a published item that names the most mentioned entity.

Each figure is the CPU time of this process (``time.process_time``) — on SQLite that includes
the SQL, which runs in the process; on PostgreSQL the server's CPU is read from
``/proc/<backend pid>/stat`` (10 ms ticks) and reported beside it. Wall time is printed too,
but on a shared machine it is mostly waiting for a core. The part spent in the maintenance
hook (``readmodels.visibility_changed``) and its query count are given separately.

Every sample runs in a transaction that is rolled back, so the archive is left as it was.
"""

import os
import statistics
import time
from contextlib import contextmanager
from unittest import mock

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ._archive import archive

SAMPLES = 5
QUICK_SAMPLES = 2


def _server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Meter:
    """CPU, server CPU and wall time of blocks, and of the maintenance hook inside them."""

    def __init__(self):
        self.samples: dict[str, list[dict]] = {}
        self._hook = None

    @contextmanager
    def measure(self, name: str):
        hook = self._hook = {"cpu": 0.0, "queries": 0}
        server, cpu, wall = _server_cpu(), time.process_time(), time.perf_counter()
        yield
        sample = {
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
            "server": _server_cpu() - server,
            "hook cpu": hook["cpu"],
            "hook queries": hook["queries"],
        }
        self.samples.setdefault(name, []).append(sample)
        self._hook = None

    def wrap(self, function):
        def timed(*args, **kwargs):
            if self._hook is None:
                return function(*args, **kwargs)
            started = time.process_time()
            with CaptureQueriesContext(connection) as queries:
                result = function(*args, **kwargs)
            self._hook["cpu"] += time.process_time() - started
            self._hook["queries"] += len(queries)
            return result

        return timed

    def figures(self) -> dict[str, str]:
        out = {}
        for name, samples in self.samples.items():

            def median(key, samples=samples):
                return statistics.median(s[key] for s in samples)

            text = f"CPU {median('cpu') * 1000:.0f} ms"
            if connection.vendor == "postgresql":
                text += f" + server {median('server') * 1000:.0f} ms"
            text += (
                f" (wall {median('wall') * 1000:.0f} ms); maintenance hook "
                f"{median('hook cpu') * 1000:.0f} ms CPU, {median('hook queries'):.0f} queries"
            )
            out[f"{name}, median of {len(samples)}"] = text
        return out


def _users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from ..roles import CHIEF, EDITOR, REVIEWER

    users = {}
    for role in (EDITOR, REVIEWER, CHIEF):
        user, _created = get_user_model().objects.get_or_create(username=f"bench-rm-{role}")
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[role] = user
    return users


def _new_issue(users, template, top):
    """An approved issue the day after the archive's last: the template issue's 25 items
    (text, facts, confirmed links), the first one naming the most mentioned entity too."""
    import datetime as dt

    from .. import workflow
    from ..models import Bulletin, ItemEntity
    from ..roles import EDITOR, REVIEWER

    last = Bulletin.objects.order_by("-issued_on").values_list("issued_on", flat=True).first()
    bulletin = workflow.create_bulletin(issued_on=last + dt.timedelta(days=1), by=users[EDITOR])
    fields = ("section", "position", "body", "headline", "headline_rank", "event_kind")
    fields += ("financing_round", "facts", "sources")
    copies = workflow.add_items(
        bulletin,
        by=users[EDITOR],
        items=[{name: getattr(item, name) for name in fields} for item in template],
    )
    links = [
        ItemEntity(item=copy, entity_id=link.entity_id, role=link.role, source=link.source)
        for original, copy in zip(template, copies, strict=True)
        for link in original.entity_links.all()
        if link.is_confirmed
    ]
    if top not in {link.entity_id for link in links if link.item_id == copies[0].pk}:
        links.append(ItemEntity(item=copies[0], entity_id=top))
    ItemEntity.objects.bulk_create(links)
    workflow.submit_bulletin(bulletin, by=users[EDITOR])
    for item in copies:
        workflow.approve_item(item, by=users[REVIEWER])
    return Bulletin.objects.get(pk=bulletin.pk)


def run(*, out, quick: bool) -> dict[str, str]:
    from .. import entities as entity_services
    from .. import readmodels, workflow
    from ..models import Bulletin, Entity, Item, ItemEntity
    from ..roles import CHIEF

    days, per_day, n_entities = (60, 25, 500) if quick else (3650, 25, 5000)
    samples = QUICK_SAMPLES if quick else SAMPLES
    with archive(days=days, per_day=per_day, entities=n_entities, out=out) as figures:
        users = _users()
        counts = readmodels.mention_counts()
        top, runner_up = sorted(counts, key=counts.get, reverse=True)[:2]
        figures["most mentioned entity"] = (
            f"{Entity.objects.get(pk=top).name} ({counts[top]:,} mentions)"
        )
        latest = Bulletin.objects.published().order_by("-issued_on").first()
        template = list(
            latest.items.order_by("section__position", "position").prefetch_related("entity_links")
        )
        # A published item naming the top entity and not the runner-up: link it, unlink it.
        item = (
            Item.objects.published()
            .filter(entity_links__entity_id=top, entity_links__is_confirmed=True)
            .exclude(entity_links__entity_id=runner_up)
            .order_by("-pk")
            .first()
        )
        other = Entity.objects.get(pk=runner_up)
        figures["issue copied"] = f"{latest.issued_on} ({len(template)} items)"
        figures["link change on"] = (
            f"item #{item.pk} ({ItemEntity.objects.confirmed().filter(item=item).count()} "
            f"entities), linking {other.name} ({counts[runner_up]:,} mentions)"
        )
        meter = Meter()
        with (
            mock.patch.object(
                workflow, "visibility_changed", meter.wrap(workflow.visibility_changed)
            ),
            mock.patch.object(
                readmodels, "visibility_changed", meter.wrap(readmodels.visibility_changed)
            ),
        ):
            for n in range(samples):
                out.write(f"  sample {n + 1} of {samples}…\n")
                with transaction.atomic():
                    bulletin = _new_issue(users, template, top)
                    with meter.measure("publish 25 items"):
                        workflow.publish(bulletin, by=users[CHIEF])
                    with meter.measure("retract it"):
                        workflow.retract(bulletin, by=users[CHIEF], comment="基准测试撤回")
                    with meter.measure("link the runner-up to an item naming the top entity"):
                        entity_services.link(item, other, by=users[CHIEF])
                    with meter.measure("unlink it again"):
                        entity_services.unlink(item, other, by=users[CHIEF])
                    transaction.set_rollback(True)
        figures.update(meter.figures())
    return figures
