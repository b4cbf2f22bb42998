"""A large import on SQLite while four processes edit items (issue 13, defect 9).

Run by ``tests/test_sqlite_import_writers.py`` on a migrated SQLite file: one process imports
large issues (the most items and characters an import may have, bulletins/limits.py) one
after another while four writer processes edit their own item through the workflow, again
and again, until the imports are done. Every edit waits at most the busy timeout
(SQLITE_BUSY_SECONDS, 10 s) and would fail with "database is locked" beyond it. Prints one
line of figures (the longest edit among them: about a second on an idle machine); exits 1
on any error or lost update.
"""

import multiprocessing
import os
import sys
import time

WRITERS, MIN_ROUNDS, IMPORTS = 4, 10, 2


def setup_django(path):
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()


def large_issue(day: int) -> str:
    from bulletins.limits import MAX_IMPORT_CHARS, MAX_IMPORT_ITEMS

    width = (MAX_IMPORT_CHARS - 200) // MAX_IMPORT_ITEMS - 1
    lines = [f"头条{day} | 日报", f"(医药健闻2026年5月{day}日讯)", "企业动态"]
    for n in range(MAX_IMPORT_ITEMS):
        text = f"第{n}家公司宣布完成B轮融资,金额{n}亿元,用于新药研发。"
        # Whole sentences, as real items are: a line cut mid-sentence is joined to the next
        # by the importer (it reads as a hard-wrapped paste) and would make one huge item.
        lines.append(text * max(1, width // len(text)))
    return "\n".join(lines) + "\n"


def prepare(path, queue):
    setup_django(path)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from bulletins import workflow
    from bulletins.models import Section
    from bulletins.roles import EDITOR

    user = get_user_model().objects.create_user("editor", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    import datetime as dt

    bulletin = workflow.create_bulletin(issued_on=dt.date(2026, 4, 30), by=user)
    section = Section.objects.get(slug="company-news")
    ids = [
        workflow.add_item(bulletin, by=user, section=section, body=f"条目{n}。", position=n + 1).pk
        for n in range(WRITERS)
    ]
    queue.put(ids)


def importer(path, done, queue):
    setup_django(path)
    from django.contrib.auth import get_user_model

    from bulletins.importers.service import import_issue

    user = get_user_model().objects.get(username="editor")
    durations = []
    for day in range(1, IMPORTS + 1):
        started = time.perf_counter()
        result = import_issue(large_issue(day), by=user)
        durations.append(time.perf_counter() - started)
        assert result.bulletin.items.count() == len(result.plan.items)
    done.set()
    queue.put(("import", durations))


def writer(path, item_id, done, queue):
    setup_django(path)
    from django.contrib.auth import get_user_model
    from django.db import OperationalError

    from bulletins import workflow
    from bulletins.models import Item

    user = get_user_model().objects.get(username="editor")
    errors, rounds, longest = 0, 0, 0.0
    while rounds < MIN_ROUNDS or not done.is_set():
        item = Item.objects.get(pk=item_id)
        started = time.perf_counter()
        try:
            workflow.edit_item(
                item, by=user, expected_version=item.version, body=f"第{rounds + 1}次修改。"
            )
        except (OperationalError, workflow.TransitionNotAllowed) as exc:
            errors += 1
            print(f"writer {item_id}: {exc}", file=sys.stderr)
        else:
            rounds += 1
        longest = max(longest, time.perf_counter() - started)
        time.sleep(0.02)  # an editor's pace, not a spin: leaves the importer its share
        if rounds > 500:
            break
    queue.put(("writer", item_id, errors, rounds, longest))


def main(path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    setup = ctx.Process(target=prepare, args=(path, queue))
    setup.start()
    ids = queue.get()
    setup.join()
    done = ctx.Event()
    procs = [ctx.Process(target=importer, args=(path, done, queue))]
    procs += [ctx.Process(target=writer, args=(path, pk, done, queue)) for pk in ids]
    for proc in procs:
        proc.start()
    # A child that crashed puts nothing: fail within two minutes instead of hanging CI.
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join()
    failed = [proc.exitcode for proc in procs if proc.exitcode]
    imports = next(r[1] for r in results if r[0] == "import")
    writers = [r for r in results if r[0] == "writer"]
    errors = sum(r[2] for r in writers)

    setup_django(path)
    from bulletins.models import Item

    lost = 0
    for _kind, pk, _errors, rounds, _longest in writers:
        item = Item.objects.get(pk=pk)
        if item.version != 1 + rounds or item.body != f"第{rounds}次修改。":
            lost += 1
    edits = sum(r[3] for r in writers)
    print(
        f"errors={errors} lost={lost} crashed={len(failed)} imports={len(imports)} "
        f"items_per_import={Item.objects.filter(bulletin__issued_on__month=5).count() // IMPORTS} "
        f"import_s={max(imports):.1f} edits={edits} longest_edit_s={max(r[4] for r in writers):.2f}"
    )
    return 0 if errors == 0 and lost == 0 and not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
