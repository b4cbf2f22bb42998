"""The real task worker's loop (django-tasks-db's ``db_worker --batch``) inside a test."""

from unittest import mock

from django.core.management import call_command


def run_worker():
    """Run every due task, then return (guards due later are left waiting).

    The worker closes "old" database connections between tasks; inside a test's transaction
    that would close the test's own connection on PostgreSQL, so only that is switched off.
    The worker as a process of its own is tested in ``test_mail_worker.py``.
    """
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command(
            "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
        )
