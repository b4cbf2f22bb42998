"""Attach each headline of a title to the item it summarises — a pure function.

Headlines are short rewrites, not quotes: 'GSK首席财务官辞职' summarises the item that begins
'葛兰素史克宣布,朱比·钱迪辞去全职董事兼首席财务官职务'. Two signals are combined:

- shared entities (when the caller passes the entities the linker found in each text), and
- shared character bigrams, weighted by how rare each bigram is among the issue's items
  (so 首席财务官 counts, 公司 and 宣布 barely do). This works with no entities at all.

Each item takes at most one headline; each headline takes its best item unless that would
leave another headline without any (an augmenting-path matching). A headline with no item
scoring ``MIN_SCORE`` or more stays unmatched for the editor to place.
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
    # Each headline's candidates, best first; on a tie the earlier item wins (titles usually
    # follow the order of the issue).
    candidates = [
        sorted((i for i, score in enumerate(row) if score >= MIN_SCORE), key=lambda i: -row[i])
        for row in scores
    ]
    owner: dict[int, int] = {}  # item index -> headline index

    def place(h: int, visited: set[int]) -> bool:
        # Augmenting path (Kuhn): a headline may move another to its next-best item, so that
        # as many headlines as possible find an item (greedy choice could strand one).
        for i in candidates[h]:
            if i in visited:
                continue
            visited.add(i)
            if i not in owner or place(owner[i], visited):
                owner[i] = h
                return True
        return False

    # Headlines with the most confident match choose first.
    for h in sorted(range(len(headlines)), key=lambda h: -max(scores[h], default=0.0)):
        place(h, set())
    chosen = {h: (i, scores[h][i]) for i, h in owner.items()}
    return [
        HeadlineMatch(
            headline=headline,
            rank=h + 1,
            index=chosen[h][0] if h in chosen else None,
            score=round(chosen[h][1], 3) if h in chosen else 0.0,
        )
        for h, headline in enumerate(headlines)
    ]
