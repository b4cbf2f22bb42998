from django.core.management import call_command
from django.db import connection


def test_optimize_db_refreshes_statistics(db, capsys):
    call_command("optimize_db")
    out = capsys.readouterr().out
    if connection.vendor == "sqlite":
        assert "PRAGMA optimize done" in out
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
    else:
        assert "ANALYZE done" in out
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reloptions FROM pg_class WHERE relname = 'bulletins_searchdocument'"
            )
            assert "autovacuum_vacuum_scale_factor=0.05" in cursor.fetchone()[0]
