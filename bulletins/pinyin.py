"""Pinyin for names: A–Z grouping by initial (the entity index) and readable ASCII slugs
(entities and sections)."""

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


def pinyin_slug(name: str, *, max_length: int) -> str:
    """企业动态 → qi-ye-dong-tai: a readable ASCII slug of a Chinese or English name
    ('' when the name has no letters)."""
    from django.utils.text import slugify
    from pypinyin import lazy_pinyin

    return slugify("-".join(lazy_pinyin(name)))[:max_length].strip("-")


def unique_slug(name: str, queryset, *, max_length: int, fallback: str) -> str:
    """``pinyin_slug(name)`` (or ``fallback``), numbered until no row of ``queryset`` has it."""
    base = pinyin_slug(name, max_length=max_length) or fallback
    slug, n = base, 1
    while queryset.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def free_slug(base: str, taken) -> str:
    """``base``, or ``base-2``, ``base-3`` … : the first not in ``taken`` (a set the caller
    read once for many new rows; it adds the result)."""
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug
