"""Import 日报 text files (or folders of them) as draft bulletins."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from bulletins.importers.parser import ParseError
from bulletins.importers.service import import_issue
from bulletins.limits import MAX_IMPORT_FILE_BYTES
from bulletins.roles import TransitionNotAllowed, can


def collect_files(paths: list[str]) -> list[Path]:
    """The files named, and the ``*.txt`` files of the folders named (sorted, recursively)."""
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"no such file or folder: {name}")
    return files


class Command(BaseCommand):
    help = (
        "Import whole issues from text files or folders (*.txt) as drafts recorded as the "
        "work of --by. A date that already has an issue is skipped, unless --replace is given "
        "and that issue is still a draft. Exits with status 1 if any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="text files or folders")
        parser.add_argument(
            "--by", required=True, metavar="USERNAME", help="the editor the drafts belong to"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="replace an existing issue of the same date if it is still a draft",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="do not show the progress bar"
        )

    def handle(self, *args, paths, by, replace, no_progress, verbosity, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(by)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no such user: {by}") from None
        if not can(user, "edit"):
            raise CommandError(f"{by} may not import issues (not an editor or chief editor)")
        files = collect_files(paths)
        created, skipped, failed = [], [], []
        bar = tqdm(
            files,
            desc="import",
            unit="issue",
            file=self.stderr._out,
            disable=no_progress or verbosity == 0 or None,
        )
        for path in bar:
            try:
                size = path.stat().st_size
                if size > MAX_IMPORT_FILE_BYTES:
                    failed.append(
                        (
                            path,
                            f"文件有 {size} 字节,超过上限 {MAX_IMPORT_FILE_BYTES} 字节,未读取"
                            f"(the file has {size} bytes, more than {MAX_IMPORT_FILE_BYTES}; "
                            "not read)",
                        )
                    )
                    continue
                text = path.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                failed.append((path, f"不是 UTF-8 文本(not UTF-8 text): {error}"))
                continue
            except OSError as error:
                failed.append((path, str(error)))
                continue
            try:
                result = import_issue(text, by=user, replace=replace)
            except ParseError as error:
                failed.append((path, str(error)))
            except TransitionNotAllowed as error:
                if error.code == "conflict":
                    skipped.append((path, error.message))
                else:  # e.g. an unknown section, which only a chief editor may create
                    failed.append((path, error.message))
            else:
                created.append((path, result))
                for warning in result.plan.warnings:
                    if verbosity >= 2:
                        bar.write(f"{path}: {warning}", file=self.stderr._out)
        self._summary(created, skipped, failed, verbosity)
        if failed:
            raise SystemExit(1)

    def _summary(self, created, skipped, failed, verbosity):
        items = sum(len(result.plan.items) for _path, result in created)
        warned = sum(1 for _path, result in created if result.plan.warnings)
        self.stdout.write(
            f"created {len(created)} ({items} items, {warned} with warnings), "
            f"skipped {len(skipped)}, failed {len(failed)}"
        )
        if verbosity >= 1:
            for path, result in created:
                if result.plan.warnings:
                    self.stdout.write(
                        f"  warnings {path}: " + "; ".join(str(w) for w in result.plan.warnings)
                    )
            for path, reason in skipped:
                self.stdout.write(f"  skipped {path}: {reason}")
        for path, reason in failed:
            self.stderr.write(f"  failed {path}: {reason}")
