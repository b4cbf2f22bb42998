import importlib
import pkgutil
import time

from django.core.management.base import BaseCommand

import bulletins.benchmarks as benchmarks


class Command(BaseCommand):
    help = "Run the benchmarks in bulletins/benchmarks/ and print their figures."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="only these benchmark modules")
        parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke run")

    def handle(self, *args, names=(), quick=False, **options):
        modules = [
            m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_")
        ]
        selected = [m for m in modules if not names or m in names]
        unknown = set(names) - set(modules)
        if unknown:
            self.stderr.write(
                f"unknown benchmarks: {', '.join(sorted(unknown))}; have: {', '.join(modules)}"
            )
            raise SystemExit(2)
        failed = []
        for name in selected:
            module = importlib.import_module(f"bulletins.benchmarks.{name}")
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {name}"))
            started = time.perf_counter()
            try:
                figures = module.run(out=self.stdout, quick=quick)
            except (Exception, SystemExit) as error:  # one broken benchmark must not hide the rest
                failed.append(name)
                self.stderr.write(f"  {name} failed: {type(error).__name__}: {error}")
                continue
            for key, value in figures.items():
                self.stdout.write(f"  {key}: {value}")
            self.stdout.write(f"  ({time.perf_counter() - started:.1f} s)")
        if failed:
            self.stderr.write(f"benchmarks that failed: {', '.join(failed)}")
            raise SystemExit(1)
