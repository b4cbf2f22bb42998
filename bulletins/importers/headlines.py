"""Attach each headline of a title to the item it summarises — a pure function.

Headlines are short rewrites, not quotes: 'GSK首席财务官辞职' summarises the item that begins
'葛兰素史克宣布,朱比·钱迪辞去全职董事兼首席财务官职务'. Two signals are combined:

- shared entities (when the caller passes the entities the linker found in each text), and
- shared character bigrams, weighted by how rare each bigram is among the issue's items
  (so 首席财务官 counts, 公司 and 宣布 barely do). This works with no entities at all.

Each item takes at most one headline; the best-scoring pairs are taken first. A headline
whose best remaining item scores under ``MIN_SCORE`` stays unmatched for the editor to place.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SCORE = 0.25
ENTITY_WEIGHT = 0.5


@dataclass(frozen=True)
class HeadlineMatch:
    headline: str
    rank: int  # place in the title, from 1
    index: int | None  # index into the items passed in; None when unmatched
    score: float


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text.casefold() if ch.isalnum()]
    return {chars[i] + chars[i + 1] for i in range(len(chars) - 1)}


def score_pairs(
    headlines: Sequence[str],
    bodies: Sequence[str],
    *,
    headline_entities: Sequence[set] | None = None,
    item_entities: Sequence[set] | None = None,
) -> list[list[float]]:
    """``scores[h][i]``: how well headline ``h`` describes item ``i`` (0 = not at all)."""
    item_grams = [_bigrams(body) for body in bodies]
    document_frequency = Counter(gram for grams in item_grams for gram in grams)
    total = len(bodies)

    def weight(gram: str) -> float:
        return math.log((total + 1) / (document_frequency[gram] + 0.5))

    scores = []
    for h, headline in enumerate(headlines):
        grams = _bigrams(headline)
        denominator = sum(weight(gram) for gram in grams) or 1.0
        row = []
        for i, body_grams in enumerate(item_grams):
            score = sum(weight(gram) for gram in grams & body_grams) / denominator
            if headline_entities is not None and item_entities is not None:
                shared = headline_entities[h] & item_entities[i]
                score += ENTITY_WEIGHT * min(len(shared), 2)
            row.append(score)
        scores.append(row)
    return scores


def match_headlines(
    headlines: Sequence[str],
    bodies: Sequence[str],
    *,
    headline_entities: Sequence[set] | None = None,
    item_entities: Sequence[set] | None = None,
) -> list[HeadlineMatch]:
    """One ``HeadlineMatch`` per headline, in title order."""
    scores = score_pairs(
        headlines, bodies, headline_entities=headline_entities, item_entities=item_entities
    )
    # Best pairs first; on a tie the earlier headline and the earlier item win (titles
    # usually follow the order of the issue).
    pairs = sorted(
        (
            (-score, h, i)
            for h, row in enumerate(scores)
            for i, score in enumerate(row)
            if score >= MIN_SCORE
        ),
    )
    chosen: dict[int, tuple[int, float]] = {}
    taken: set[int] = set()
    for negative, h, i in pairs:
        if h in chosen or i in taken:
            continue
        chosen[h] = (i, -negative)
        taken.add(i)
    return [
        HeadlineMatch(
            headline=headline,
            rank=h + 1,
            index=chosen[h][0] if h in chosen else None,
            score=round(chosen[h][1], 3) if h in chosen else 0.0,
        )
        for h, headline in enumerate(headlines)
    ]
