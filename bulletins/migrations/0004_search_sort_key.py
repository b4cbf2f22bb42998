# The SQLite full-text index is keyed by SearchDocument.sort_key (issue date, then item) so
# that FTS5 returns hits newest first and a page's LIMIT stops the scan early. The index is
# dropped, the documents emptied, the key added, the index re-created and refilled.

from django.db import migrations, models

from bulletins.db_operations import VendorRunSQL




def fts(rowid):
    return [
        f"""CREATE VIRTUAL TABLE bulletins_search_fts USING fts5(
            title, body,
            content='bulletins_searchdocument', content_rowid='{rowid}',
            tokenize='unicode61 remove_diacritics 0'
        )""",
        f"""CREATE TRIGGER bulletins_searchdocument_ai AFTER INSERT ON bulletins_searchdocument
        BEGIN
            INSERT INTO bulletins_search_fts(rowid, title, body)
            VALUES (new.{rowid}, new.title, new.body);
        END""",
        f"""CREATE TRIGGER bulletins_searchdocument_ad AFTER DELETE ON bulletins_searchdocument
        BEGIN
            INSERT INTO bulletins_search_fts(bulletins_search_fts, rowid, title, body)
            VALUES ('delete', old.{rowid}, old.title, old.body);
        END""",
        f"""CREATE TRIGGER bulletins_searchdocument_au AFTER UPDATE ON bulletins_searchdocument
        BEGIN
            INSERT INTO bulletins_search_fts(bulletins_search_fts, rowid, title, body)
            VALUES ('delete', old.{rowid}, old.title, old.body);
            INSERT INTO bulletins_search_fts(rowid, title, body)
            VALUES (new.{rowid}, new.title, new.body);
        END""",
    ]


DROP_FTS = [
    "DROP TRIGGER IF EXISTS bulletins_searchdocument_au",
    "DROP TRIGGER IF EXISTS bulletins_searchdocument_ad",
    "DROP TRIGGER IF EXISTS bulletins_searchdocument_ai",
    "DROP TABLE IF EXISTS bulletins_search_fts",
]


def refill(apps, schema_editor):
    if not apps.get_model("bulletins", "Item").objects.using(schema_editor.connection.alias).exists():
        return
    from bulletins.search import rebuild_index  # the index is derived data: rebuild it

    rebuild_index()


class Migration(migrations.Migration):

    dependencies = [
        ("bulletins", "0003_search_document"),
    ]

    operations = [
        VendorRunSQL("sqlite", DROP_FTS, fts("item_id")),
        migrations.RunSQL("DELETE FROM bulletins_searchdocument", migrations.RunSQL.noop),
        migrations.AddField(
            model_name="searchdocument",
            name="sort_key",
            field=models.BigIntegerField(
                default=0,
                help_text="Newest first, as the full-text index's row id: the issue date's ordinal × 2³² + (2³² − 1 − item id).",
                unique=True,
                verbose_name="sort key",
            ),
            preserve_default=False,
        ),
        VendorRunSQL("sqlite", fts("sort_key"), DROP_FTS),
        migrations.RunPython(refill, migrations.RunPython.noop),
    ]
