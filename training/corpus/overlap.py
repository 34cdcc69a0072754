"""Cross-split near-duplicate check: no sentence pair across splits with word 5-gram Jaccard > 0.5.

Candidate pairs come from an inverted index of 5-grams, so the check stays
fast on thousands of sentences (only pairs sharing a 5-gram are compared).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

__all__ = ["ngrams", "jaccard", "OverlapPair", "cross_split_overlaps"]

_WORD = re.compile(r"\w+", re.UNICODE)


def ngrams(text: str, n: int = 5) -> frozenset[tuple[str, ...]]:
    """Lower-cased word ``n``-grams; a text shorter than ``n`` words is one gram of all its words."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a & b| / |a | b| (0 for two empty sets).

    >>> jaccard(frozenset({1, 2}), frozenset({2, 3}))
    0.3333333333333333
    """
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass(frozen=True)
class OverlapPair:
    split_a: str
    id_a: str
    split_b: str
    id_b: str
    jaccard: float


def cross_split_overlaps(splits: dict[str, Sequence[tuple[str, str]]], threshold: float = 0.5, n: int = 5
                         ) -> list[OverlapPair]:
    """Pairs of ``(id, text)`` from different splits whose ``n``-gram Jaccard exceeds ``threshold``."""
    grams: list[tuple[str, str, frozenset]] = []
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for split, items in splits.items():
        for sid, text in items:
            g = ngrams(text, n)
            k = len(grams)
            grams.append((split, sid, g))
            for gram in g:
                index[gram].append(k)
    found: list[OverlapPair] = []
    seen: set[tuple[int, int]] = set()
    for members in index.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                i, j = members[x], members[y]
                if grams[i][0] == grams[j][0] or (i, j) in seen:
                    continue
                seen.add((i, j))
                score = jaccard(grams[i][2], grams[j][2])
                if score > threshold:
                    found.append(OverlapPair(grams[i][0], grams[i][1], grams[j][0], grams[j][1], round(score, 4)))
    return found
