"""Turn sentences into encoder windows that know their words and characters.

A sentence longer than the encoder's window is split into overlapping windows
(the fast tokenizer's overflow with ``stride``), so nothing is truncated. Each
word is labelled on its first sub-token; each window *owns* the words up to the
middle of its overlap with the next window, so when windows are merged every
word, and so every trigger, is decided by exactly one window.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

__all__ = ["Window", "tokenize_windows", "pad_windows", "plan_batches"]


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

    def token_span(self, first: int, last: int) -> tuple[int, int]:
        """Token positions ``(start, end)``, both inclusive, of words ``[first, last)`` of this window.

        This is the trigger span the argument head reads, in training and in
        extraction alike. A word runs up to the next word's first sub-token; the
        window's last word runs up to the closing special token.

        >>> w = Window(0, [101, 7, 8, 9, 102], heads=[1, 2], word_spans=[(0, 2), (3, 9)], words=[0, 1], owned=(0, 2))
        >>> w.token_span(0, 1), w.token_span(1, 2)
        ((1, 1), (2, 3))
        """
        end = self.heads[last] - 1 if last < len(self.heads) else len(self) - 2
        return self.heads[first], end


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


def pad_windows(windows: list[Window], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids ``[windows, longest]`` padded with ``pad_id``, and the attention mask.

    >>> pad_windows([Window(0, [5, 6, 7], [], [], [], (0, 0)), Window(1, [8], [], [], [], (0, 0))], 0)[1].tolist()
    [[1, 1, 1], [1, 0, 0]]
    """
    length = max(len(w) for w in windows)
    ids = np.full((len(windows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), length), dtype=np.int64)
    for i, w in enumerate(windows):
        ids[i, :len(w)] = w.input_ids
        mask[i, :len(w)] = 1
    return ids, mask


def plan_batches(lengths: Sequence[int], batch_size: int, row_values: Callable[[int], int] | None = None,
                 max_values: int | None = None) -> list[list[int]]:
    """Window indices grouped into encoder batches, shortest windows first, at most ``batch_size`` each.

    Sorting by length keeps padding small. With ``max_values``, a batch also
    closes before its largest activation, windows x padded length x
    ``row_values(padded length)`` values, would pass it; a window that passes it
    alone still gets a batch of its own.

    >>> plan_batches([5, 2, 9, 3], 2)
    [[1, 3], [0, 2]]
    >>> plan_batches([4, 4, 4, 4, 4], 4, lambda n: 10, max_values=100)
    [[0, 1], [2, 3], [4]]
    """
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        padded = lengths[i]  # in length order, the window joining a batch is its longest
        full = len(current) == batch_size
        too_big = max_values is not None and (len(current) + 1) * padded * row_values(padded) > max_values
        if current and (full or too_big):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


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
