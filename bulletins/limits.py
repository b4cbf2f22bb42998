"""The size limits of what editors write, one set for every way in.

An item imported (admin paste, API, ``import_bulletin``) obeys the same limits as an item
edited (admin form, API PATCH): what an import accepts, a later edit never refuses. A whole
import is bounded too, so that parsing it, and the one transaction that saves it, stay short
(on SQLite every other writer waits for that transaction: the largest import allowed saves
in about half a second, measured by tests/sqlite_import_writers.py).
"""

import re

# One item is one paragraph of a daily bulletin: the longest real ones are ~1,500 characters.
MAX_ITEM_CHARS = 5000
MAX_HEADLINE_CHARS = 120
# A real issue has 20-40 items and 10-30 thousand characters: three times that at most.
MAX_IMPORT_ITEMS = 120
MAX_IMPORT_CHARS = 100_000
# A file for import_bulletin is refused unread beyond this (UTF-8: at most 4 bytes a character).
MAX_IMPORT_FILE_BYTES = MAX_IMPORT_CHARS * 4

# C0 controls other than tab, line feed and carriage return, DEL, C1 controls, and the
# surrogates no database stores: invisible in an editor's view, broken in every export.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def describe_character(char: str) -> str:
    names = {"\x00": "NUL", "\x7f": "DEL", "\x0b": "VT", "\x0c": "FF", "\x1b": "ESC"}
    return f"U+{ord(char):04X}" + (f" {names[char]}" if char in names else "")


def first_control_character(text: str) -> tuple[int, int, str] | None:
    """``(line, column, character)`` of the first control character in ``text``, 1-based."""
    found = CONTROL_RE.search(text)
    if found is None:
        return None
    before = text[: found.start()]
    line = before.count("\n") + 1
    column = found.start() - (before.rfind("\n") + 1) + 1
    return line, column, found.group()
