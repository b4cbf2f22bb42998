"""Near-identical items: the same news pasted twice, or pasted again days after it went out.

Pure functions. Similarity is the Dice coefficient of character bigrams after dropping
spaces, punctuation and width differences — cheap enough to compare a paste against a week
of published items (a few thousand pairs) without a noticeable wait, and insensitive to the
small edits a re-pasted item usually carries (a changed comma, a trailing note).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NEAR_IDENTICAL = 0.85
_NOISE_RE = re.compile(r"[\W_]+", re.UNICODE)


def fingerprint(text: str) -> frozenset[str]:
    flat = _NOISE_RE.sub("", unicodedata.normalize("NFKC", text)).lower()
    if len(flat) < 2:
        return frozenset({flat}) if flat else frozenset()
    return frozenset(flat[i : i + 2] for i in range(len(flat) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


@dataclass(frozen=True)
class Duplicate:
    index: int  # the later text, in the order given
    of: object  # what it repeats: an earlier index, or a key of ``earlier``
    score: float


def within(texts: Sequence[str], threshold: float = NEAR_IDENTICAL) -> list[Duplicate]:
    """Each text that repeats an earlier one of the same list (first match)."""
    prints = [fingerprint(text) for text in texts]
    found = []
    for j, later in enumerate(prints):
        for i in range(j):
            score = similarity(prints[i], later)
            if score >= threshold:
                found.append(Duplicate(j, i, score))
                break
    return found


def against(
    texts: Sequence[str], earlier: Iterable[tuple[object, str]], threshold: float = NEAR_IDENTICAL
) -> list[Duplicate]:
    """Each text near-identical to one of ``earlier`` ((key, text) pairs): the best match."""
    known = [(key, fingerprint(text)) for key, text in earlier]
    found = []
    for j, text in enumerate(texts):
        mine = fingerprint(text)
        # a bigram set more than twice as large (or small) cannot reach the threshold
        best = max(
            (
                (similarity(mine, theirs), key)
                for key, theirs in known
                if len(theirs) and 0.5 <= len(mine) / len(theirs) <= 2
            ),
            default=(0.0, None),
            key=lambda pair: pair[0],
        )
        if best[0] >= threshold:
            found.append(Duplicate(j, best[1], best[0]))
    return found
