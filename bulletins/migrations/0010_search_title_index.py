# PostgreSQL only: the headline/entity-name tokens in a tsvector of their own with a GIN index.
# "Matched in the title" was a weight-A query on the whole document, which the GIN index cannot
# answer (weights are checked on the heap): a common word visited every document containing it.

from django.db import migrations

from bulletins.db_operations import VendorRunSQL

POSTGRESQL_FORWARDS = [
    """ALTER TABLE bulletins_searchdocument ADD COLUMN title_document tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title)) STORED""",
    "CREATE INDEX bulletins_searchdocument_title_gin"
    " ON bulletins_searchdocument USING gin (title_document)",
]
POSTGRESQL_BACKWARDS = [
    "DROP INDEX IF EXISTS bulletins_searchdocument_title_gin",
    "ALTER TABLE bulletins_searchdocument DROP COLUMN IF EXISTS title_document",
]


class Migration(migrations.Migration):
    dependencies = [("bulletins", "0009_read_models")]

    operations = [VendorRunSQL("postgresql", POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS)]
