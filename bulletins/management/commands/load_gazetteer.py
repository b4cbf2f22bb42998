from django.core.management.base import BaseCommand

from bulletins.entities import GAZETTEER_PATH, load_gazetteer


class Command(BaseCommand):
    help = "Load the starter gazetteer of entities (bulletins/data/gazetteer.json). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(GAZETTEER_PATH), help="a gazetteer JSON file")

    def handle(self, *args, path, **options):
        report = load_gazetteer(path)
        self.stdout.write(
            f"gazetteer loaded: {len(report.created)} created, {len(report.updated)} updated, "
            f"{report.aliases_added} aliases added"
        )
