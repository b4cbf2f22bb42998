from django.core.management.base import BaseCommand

from bulletins.entities import export_entities, to_csv, to_json
from bulletins.models import Entity, EntityType


class Command(BaseCommand):
    help = "Export the live entities as JSON or CSV (re-importable with import_entities)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--type", choices=EntityType.values, help="only this entity type")
        parser.add_argument("--output", "-o", help="a file; default: standard output")

    def handle(self, *args, format, type=None, output=None, **options):
        queryset = Entity.objects.filter(type=type) if type else Entity.objects.all()
        rows = export_entities(queryset)
        text = to_json(rows) if format == "json" else to_csv(rows)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as file:
                file.write(text)
            self.stderr.write(f"{len(rows)} entities written to {output}")
        else:
            self.stdout.write(text, ending="")
