import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from bulletins import trackers
from bulletins.models import Item


class Command(BaseCommand):
    help = (
        "Rewrite the /deals/ and /approvals/ tracker rows of every item from its stored facts "
        "(after changing the exchange-rate table in bulletins/fx.py), with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, no_progress=False, **options):
        started = time.perf_counter()
        ids = list(Item.objects.order_by("pk").values_list("pk", flat=True))
        with tqdm(total=len(ids), unit="item", disable=no_progress) as bar:
            for start in range(0, len(ids), 2000):
                chunk = ids[start : start + 2000]
                trackers.index_items(chunk)
                bar.update(len(chunk))
        self.stdout.write(f"{len(ids)} items in {time.perf_counter() - started:.1f} s")
