"""Template check: do sentences share long runs of the same wording?

Names and numbers are masked (a token that starts with a capital letter or
holds a digit becomes ``X``); then every run of 8 tokens with at least 3
ordinary words is counted across sentences. A sentence is *templated* when one
of its runs recurs in 5 or more sentences. Real news scores about 0-1%; a
corpus built by filling slots scores far higher.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

__all__ = ["mask_tokens", "templated_share"]

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def mask_tokens(text: str) -> list[str]:
    """Tokens of ``text`` with names and numbers replaced by ``X``.

    >>> mask_tokens("Rebels ambushed 12 soldiers")
    ['X', 'ambushed', 'X', 'soldiers']
    """
    return ["X" if (t[0].isupper() or any(c.isdigit() for c in t)) else t.lower() for t in _TOKEN.findall(text)]


def _is_word(tok: str) -> bool:
    return tok != "X" and tok[0].isalpha()


def templated_share(texts: Iterable[str], n: int = 8, min_words: int = 3, min_sentences: int = 5
                    ) -> tuple[float, list[tuple[str, int]]]:
    """Share of sentences holding an ``n``-token run found in ``min_sentences`` or more sentences.

    Returns the share and the recurring runs with their sentence counts, most frequent first.
    """
    texts = list(texts)
    where: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for i, text in enumerate(texts):
        toks = mask_tokens(text)
        for k in range(len(toks) - n + 1):
            run = tuple(toks[k:k + n])
            if sum(_is_word(t) for t in run) >= min_words:
                where[run].add(i)
    frequent = {run: ids for run, ids in where.items() if len(ids) >= min_sentences}
    flagged = set().union(*frequent.values()) if frequent else set()
    runs = sorted(((" ".join(r), len(ids)) for r, ids in frequent.items()), key=lambda x: -x[1])
    return (len(flagged) / len(texts) if texts else 0.0), runs
