# Search documents now carry the headline with the text (what decides a hit) and keep entity
# names with the headline for ranking only; existing documents are rebuilt in that shape.

from django.db import migrations


def reindex(apps, schema_editor):
    Item = apps.get_model("bulletins", "Item")
    if not Item.objects.using(schema_editor.connection.alias).exists():
        return
    from bulletins.search import rebuild_index

    rebuild_index()


class Migration(migrations.Migration):
    dependencies = [("bulletins", "0004_search_sort_key")]
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
