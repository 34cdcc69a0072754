"""Turn sentences into encoder windows that know their words and characters.

A sentence longer than the encoder's window is split into overlapping windows
(the fast tokenizer's overflow with ``stride``), so nothing is truncated. Each
word is labelled on its first sub-token; each window *owns* the words up to the
middle of its overlap with the next window, so when windows are merged every
word, and so every trigger, is decided by exactly one window.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Window", "tokenize_windows"]


@dataclass
class Window:
    """One encoder input: a whole sentence, or one window of a long one."""

    sample: int                          # index of the sentence in the batch given
    input_ids: list[int]
    heads: list[int]                     # token position of each word's first sub-token in this window
    word_spans: list[tuple[int, int]]    # character span of each of those words
    words: list[int]                     # sentence-level index of each of those words
    owned: tuple[int, int]               # [first, last) positions in ``heads`` this window decides

    def __len__(self) -> int:
        return len(self.input_ids)


def tokenize_windows(tokenizer, texts: list[str], max_length: int, stride: int) -> list[Window]:
    """Tokenize ``texts`` (batch mode of the fast tokenizer) into windows with word maps."""
    enc = tokenizer(texts, truncation=True, max_length=max_length, stride=stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True, add_special_tokens=True)
    sample_map = enc["overflow_to_sample_mapping"]
    windows: list[Window] = []
    for i, ids in enumerate(enc["input_ids"]):
        offsets = enc["offset_mapping"][i]
        heads: list[int] = []
        spans: list[list[int]] = []
        words: list[int] = []
        prev = None
        for pos, w in enumerate(enc.word_ids(i)):
            if w is None:
                continue
            s, e = offsets[pos]
            if w != prev:
                heads.append(pos)
                words.append(w)
                spans.append([s, e])
                prev = w
            else:
                spans[-1][1] = e
        windows.append(Window(sample_map[i], ids, heads, [tuple(x) for x in spans], words, (0, len(heads))))
    _assign_ownership(windows)
    return windows


def _assign_ownership(windows: list[Window]) -> None:
    """Split each overlap between consecutive windows of a sentence at its middle word."""
    for a, b in zip(windows, windows[1:]):
        if a.sample != b.sample or not b.words or not a.words:
            continue
        first_b = b.words[0]
        overlap = [w for w in a.words if w >= first_b]
        if not overlap:
            continue
        mid_word = overlap[len(overlap) // 2]
        a.owned = (a.owned[0], a.words.index(mid_word))
        b.owned = (b.words.index(mid_word), b.owned[1])
