"""Print one stored issue as canonical text, Markdown or an HTML fragment."""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bulletins.exporters import FORMATS, export
from bulletins.models import Bulletin


class Command(BaseCommand):
    help = (
        "Export the issue of DATE (YYYY-MM-DD), whatever its status, without its spiked items. "
        "The text format is the canonical one: no newline after the last item."
    )

    def add_arguments(self, parser):
        parser.add_argument("date", metavar="DATE", help="issue date, e.g. 2026-03-17")
        parser.add_argument("--format", choices=FORMATS, default="text")
        parser.add_argument(
            "-o", "--output", metavar="PATH", help="write to this file (UTF-8) instead of stdout"
        )

    def handle(self, *args, date, format, output, **options):
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"not a date (YYYY-MM-DD): {date}") from None
        bulletin = Bulletin.objects.filter(issued_on=day).first()
        if bulletin is None:
            raise CommandError(f"no issue on {day}")
        text = export(bulletin, format=format).content
        if output:
            Path(output).write_bytes(text.encode("utf-8"))
        else:
            self.stdout.write(text, ending="")
