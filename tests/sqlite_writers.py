"""Four processes, each running read-then-write transactions on one SQLite file.

Run by ``tests/test_settings.py``; prints ``errors=N``. With Django's default SQLite options
about one transaction in six fails with "database is locked"; with ours none should.
"""

import multiprocessing
import sys

WRITERS, ROUNDS = 4, 40


def writer(path, queue):
    """Django itself, configured by newsroom.settings from DATABASE_URL, does the writes."""
    import os

    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.db import OperationalError, connection, transaction

    errors = 0
    for _ in range(ROUNDS):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT value FROM counter WHERE id = 1")
                (value,) = cursor.fetchone()
                cursor.execute("UPDATE counter SET value = %s WHERE id = 1", [value + 1])
        except OperationalError:
            errors += 1
    queue.put(errors)


def main(path):
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
    conn.execute("INSERT INTO counter VALUES (1, 0)")
    conn.commit()
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=writer, args=(path, queue)) for _ in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    errors = sum(queue.get() for _ in procs)
    (value,) = conn.execute("SELECT value FROM counter").fetchone()
    print(f"errors={errors} value={value} expected={WRITERS * ROUNDS - errors}")
    return 0 if value == WRITERS * ROUNDS - errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
