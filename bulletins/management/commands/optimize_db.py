"""Keep the query planner informed: ``PRAGMA optimize`` / ``ANALYZE`` on SQLite, ``ANALYZE``
and per-table autovacuum settings on PostgreSQL. Safe to run at any time, e.g. nightly from
cron or after a bulk import; see docs/PERFORMANCE.md."""

import time

from django.core.management.base import BaseCommand
from django.db import connection

# Tables that grow every day and whose statistics decide the plans of the public pages:
# analysed after 2 % changed rows (the default 10 % means ~9,000 new items before the
# planner learns of a month of issues), vacuumed after 5 % dead rows (search documents are
# rewritten on every re-index and a bloated table slows the GIN heap rechecks).
POSTGRES_TABLES = {
    "bulletins_item": {"autovacuum_analyze_scale_factor": 0.02},
    "bulletins_bulletin": {"autovacuum_analyze_scale_factor": 0.02},
    "bulletins_itementity": {"autovacuum_analyze_scale_factor": 0.02},
    "bulletins_searchdocument": {
        "autovacuum_analyze_scale_factor": 0.02,
        "autovacuum_vacuum_scale_factor": 0.05,
    },
    "bulletins_entitycomention": {
        "autovacuum_analyze_scale_factor": 0.05,
        "autovacuum_vacuum_scale_factor": 0.05,
    },
    "bulletins_entitymentionmonth": {"autovacuum_vacuum_scale_factor": 0.05},
    "bulletins_entitymentiontotal": {"autovacuum_vacuum_scale_factor": 0.05},
    "bulletins_itemmarkup": {"autovacuum_vacuum_scale_factor": 0.05},
}


class Command(BaseCommand):
    help = (
        "Refresh the database's planner statistics: PRAGMA optimize (and ANALYZE when there "
        "are no statistics yet) on SQLite; ANALYZE and per-table autovacuum settings on "
        "PostgreSQL (--vacuum also runs VACUUM ANALYZE)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--vacuum", action="store_true", help="PostgreSQL: VACUUM ANALYZE the tables too"
        )

    def handle(self, *args, vacuum=False, **options):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
                if not cursor.fetchone()[0]:
                    self.stdout.write("no statistics yet: ANALYZE")
                    cursor.execute("ANALYZE")
                # Analyses what changed enough since the last run (cheap when nothing did).
                cursor.execute("PRAGMA optimize")
                self.stdout.write("PRAGMA optimize done")
            elif connection.vendor == "postgresql":
                for table, options in POSTGRES_TABLES.items():
                    settings = ", ".join(f"{name} = {value}" for name, value in options.items())
                    cursor.execute(
                        f"ALTER TABLE {connection.ops.quote_name(table)} SET ({settings})"
                    )
                    self.stdout.write(f"{table}: {settings}")
                if vacuum and not connection.in_atomic_block:
                    for table in POSTGRES_TABLES:
                        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
                    self.stdout.write("VACUUM ANALYZE done")
                else:
                    cursor.execute("ANALYZE")
                    self.stdout.write("ANALYZE done")
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")
