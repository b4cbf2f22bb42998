"""A–Z grouping of Chinese and Latin names by pinyin initial, for the entity index."""

from functools import lru_cache


@lru_cache(maxsize=8192)
def index_letter(name: str) -> str:
    """A–Z group of a name: Latin initial, or the pinyin initial of a Chinese first character."""
    from pypinyin import Style, lazy_pinyin

    first = (name.strip() or "#")[0]
    if first.isascii():
        return first.upper() if first.isalpha() else "#"
    letters = lazy_pinyin(first, style=Style.FIRST_LETTER, errors="ignore")
    letter = letters[0][:1].upper() if letters and letters[0] else ""
    return letter if "A" <= letter <= "Z" else "#"


@lru_cache(maxsize=8192)
def index_letter_key(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name[:6])).lower()
