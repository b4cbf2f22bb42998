# The search index: SearchDocument (a plain model) plus, in raw SQL, the full-text index over
# it — an FTS5 table on SQLite, a generated tsvector column with a GIN index on PostgreSQL.
# Each raw-SQL operation runs only on its own database and is a no-op on the other.
# If a later migration alters SearchDocument on SQLite (Django then rebuilds the table), it
# must re-create the three triggers below.

import django.db.models.deletion
from django.db import migrations, models

from bulletins.db_operations import VendorRunSQL




SQLITE_FORWARDS = [
    # External content: the tokens are stored once, in bulletins_searchdocument.
    """CREATE VIRTUAL TABLE bulletins_search_fts USING fts5(
        title, body,
        content='bulletins_searchdocument', content_rowid='item_id',
        tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER bulletins_searchdocument_ai AFTER INSERT ON bulletins_searchdocument BEGIN
        INSERT INTO bulletins_search_fts(rowid, title, body)
        VALUES (new.item_id, new.title, new.body);
    END""",
    """CREATE TRIGGER bulletins_searchdocument_ad AFTER DELETE ON bulletins_searchdocument BEGIN
        INSERT INTO bulletins_search_fts(bulletins_search_fts, rowid, title, body)
        VALUES ('delete', old.item_id, old.title, old.body);
    END""",
    """CREATE TRIGGER bulletins_searchdocument_au AFTER UPDATE ON bulletins_searchdocument BEGIN
        INSERT INTO bulletins_search_fts(bulletins_search_fts, rowid, title, body)
        VALUES ('delete', old.item_id, old.title, old.body);
        INSERT INTO bulletins_search_fts(rowid, title, body)
        VALUES (new.item_id, new.title, new.body);
    END""",
]
SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS bulletins_searchdocument_au",
    "DROP TRIGGER IF EXISTS bulletins_searchdocument_ad",
    "DROP TRIGGER IF EXISTS bulletins_searchdocument_ai",
    "DROP TABLE IF EXISTS bulletins_search_fts",
]
POSTGRESQL_FORWARDS = [
    # The headline/entity names carry weight A, so "matched in the title" is a weighted query.
    """ALTER TABLE bulletins_searchdocument ADD COLUMN document tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, title), 'A')
            || to_tsvector('simple'::regconfig, body)
        ) STORED""",
    "CREATE INDEX bulletins_searchdocument_document_gin"
    " ON bulletins_searchdocument USING gin (document)",
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX IF EXISTS bulletins_searchdocument_document_gin",
    "ALTER TABLE bulletins_searchdocument DROP COLUMN IF EXISTS document",
]


class Migration(migrations.Migration):

    dependencies = [
        ('bulletins', '0002_roles_and_defaults'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('item', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='bulletins.item', verbose_name='item')),
                ('title', models.TextField(blank=True, help_text='Chinese as overlapping character bigrams, Latin as lower-cased words.', verbose_name='headline and entity names (tokens)')),
                ('body', models.TextField(blank=True, verbose_name='text (tokens)')),
            ],
            options={
                'verbose_name': 'search document',
                'verbose_name_plural': 'search documents',
            },
        ),
        VendorRunSQL("sqlite", SQLITE_FORWARDS, SQLITE_BACKWARDS),
        VendorRunSQL("postgresql", POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    ]
