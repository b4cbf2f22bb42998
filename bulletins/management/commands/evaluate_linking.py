"""Score linking, discovery and facts on the evaluation set, without saving anything."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bulletins import evaluation
from bulletins.entities import EntityImportError, load_gazetteer
from bulletins.models import Entity


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Run the evaluation issues (evaluation/tuning, evaluation/holdout) through the real "
        "parse + linker + discovery + facts path and print precision/recall and fact accuracy. "
        "Works inside a transaction that is rolled back: the shipped gazetteer is loaded into "
        "it, nothing is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--part", choices=["tuning", "holdout", "all"], default="all")
        parser.add_argument(
            "--dir", default=str(Path(settings.BASE_DIR) / "evaluation"), help="the set's root"
        )
        parser.add_argument(
            "--no-gazetteer",
            action="store_true",
            help="score against the database's entities as they are (do not load the shipped ones)",
        )
        parser.add_argument("--misses", action="store_true", help="list every miss (tuning only)")

    def handle(self, *args, part, dir, no_gazetteer, misses, **options):
        root = Path(dir)
        parts = ["tuning", "holdout"] if part == "all" else [part]
        if misses and "holdout" in parts:
            raise CommandError("--misses lists items one by one: use it with --part tuning only")
        lines = []
        try:
            with transaction.atomic():
                if not no_gazetteer:
                    # The shipped gazetteer alone: entities already in this database (the
                    # demo's, a newsroom's, an older gazetteer's) are set aside for the run —
                    # they would link names the gazetteer does not know and make some shipped
                    # names ambiguous.
                    aside, _ = Entity.objects.all().delete()
                    if aside:
                        self.stderr.write(
                            f"entities already in the database set aside for this run "
                            f"({aside} rows with their links, restored afterwards)"
                        )
                    report = load_gazetteer()
                    self.stderr.write(
                        f"gazetteer loaded for this run: {len(report.created)} entities created"
                    )
                for name in parts:
                    score = evaluation.evaluate_part(
                        root, name, progress=lambda f: self.stderr.write(f"  scored {f}")
                    )
                    lines += evaluation.report(score)
                    if misses:
                        lines += score.misses
                raise _Rollback
        except _Rollback:
            pass
        except evaluation.GoldError as exc:
            raise CommandError(str(exc)) from None
        except EntityImportError as exc:
            raise CommandError(
                f"the shipped gazetteer does not load into this database ({exc}); "
                "score against the database's own entities with --no-gazetteer"
            ) from None
        for line in lines:
            self.stdout.write(line)
