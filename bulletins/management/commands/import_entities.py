from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bulletins.entities import EntityImportError, import_entities, read_rows


class Command(BaseCommand):
    help = (
        "Import entities from a JSON or CSV file (as written by export_entities): "
        "create or update by slug, add aliases. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to import")
        parser.add_argument(
            "--format", choices=["json", "csv"], help="default: from the file extension"
        )

    def handle(self, *args, path, format=None, **options):
        file = Path(path)
        format = format or file.suffix.lstrip(".").lower()
        try:
            rows = read_rows(file.read_text(encoding="utf-8-sig"), format=format)
            report = import_entities(rows, by=None)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        except EntityImportError as exc:
            for number, reason in exc.errors:
                self.stderr.write(f"row {number}: {reason}")
            raise CommandError("nothing imported") from exc
        self.stdout.write(
            f"{len(report.created)} created, {len(report.updated)} updated, "
            f"{report.aliases_added} aliases added"
        )
