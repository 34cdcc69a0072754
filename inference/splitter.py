"""Sentence splitting with exact character offsets into the original text.

pysbd (rule-based, pure Python) was chosen over blingfire after comparing both
on news abbreviations (``benchmarks/splitters.py``): blingfire breaks after a
sentence-initial "Gen." and pysbd after "Maj.-Gen."; pysbd keeps "Lt. Col.",
"U.S.", "No. 2", "p.m." and closing quotes right, and its one slip (a lone
abbreviation cut off as a "sentence") is repaired here by merging it forward.

Lines are split first: in news text a line break ends a headline or a
paragraph even without a full stop. No character is lost: the spans returned,
with the gaps between them, give back the input exactly.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

__all__ = ["SentenceSpan", "split_sentences"]

_LOCAL = threading.local()  # pysbd segmenters keep state per call: one per thread
_LONE_ABBREVIATION = re.compile(r"^[A-Z][A-Za-z]{0,4}\.(-[A-Z][A-Za-z]{0,4}\.)?$")


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence: ``text == document[start:end]``, no surrounding white space."""

    start: int
    end: int
    text: str


def _segmenter():
    seg = getattr(_LOCAL, "segmenter", None)
    if seg is None:
        import pysbd

        seg = _LOCAL.segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return seg


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split ``text`` into sentences with offsets into it.

    >>> [s.text for s in split_sentences("Lt. Col. Diallo said the U.S. unit left. Troops fell back.")]
    ['Lt. Col. Diallo said the U.S. unit left.', 'Troops fell back.']
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        ls, le = _trimmed(text, line.start(), line.end())
        if ls == le:
            continue
        chunk = text[ls:le]
        pieces = []
        for seg in _segmenter().segment(chunk):
            s, e = _trimmed(chunk, seg.start, seg.end)
            if s < e:
                pieces.append([ls + s, ls + e])
        if not pieces:  # pysbd found nothing to split: the line is one sentence
            pieces = [[ls, le]]
        merged: list[list[int]] = []
        for p in pieces:
            if merged and _LONE_ABBREVIATION.match(text[merged[-1][0]:merged[-1][1]]):
                merged[-1][1] = p[1]
            else:
                merged.append(p)
        spans.extend((s, e) for s, e in merged)
    return [SentenceSpan(s, e, text[s:e]) for s, e in spans]
