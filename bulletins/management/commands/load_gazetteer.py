import time

from django.core.management.base import BaseCommand, CommandError

from bulletins.entities import EntityImportError, gazetteer_files, load_gazetteer


class Command(BaseCommand):
    help = (
        "Load the starter gazetteer of entities (bulletins/data/gazetteer.json and every "
        "bulletins/data/gazetteer/*.json). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", default="", help="a gazetteer JSON file or a folder of them (default: both)"
        )

    def handle(self, *args, path, **options):
        files = gazetteer_files(path or None)
        self.stdout.write(f"loading {len(files)} file(s): {', '.join(f.name for f in files)}")
        started = time.perf_counter()
        try:
            report = load_gazetteer(path or None)
        except EntityImportError as exc:
            raise CommandError(f"gazetteer refused, nothing saved: {exc}") from None
        self.stdout.write(
            f"gazetteer loaded: {len(report.created)} created, {len(report.updated)} updated, "
            f"{report.aliases_added} aliases added in {time.perf_counter() - started:.2f} s"
        )
