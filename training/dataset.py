"""Training examples: sentences -> encoder windows with trigger and role labels.

Tokenizing runs in batches through the fast tokenizer; labels sit on each
word's first sub-token, -100 elsewhere (ignored by the loss).
Each gold event of a window becomes one argument-head example: its trigger's
token span, its type and the role tags of every word in the window.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from inference.features import Window, tokenize_windows
from inference.labels import LabelSet, spans_to_bio
from inference.model import IGNORE
from inference.records import Event, Sentence

__all__ = ["encode_windows", "build_dataset", "epoch_indices", "EpochSampler", "collate"]


def _trigger_words(w: Window, event: Event) -> tuple[int, int] | None:
    """Window word range ``[first, last)`` of the trigger, or None if it is not wholly inside."""
    inside = [k for k, (s, e) in enumerate(w.word_spans) if s < event.trigger.end and e > event.trigger.start]
    if not inside or w.word_spans[inside[0]][0] > event.trigger.start or w.word_spans[inside[-1]][1] < event.trigger.end:
        return None
    return inside[0], inside[-1] + 1


def encode_windows(sentences: list[Sentence], tokenizer, labels: LabelSet, max_length: int, stride: int
                   ) -> dict[str, list[Any]]:
    """Columns of training rows (one per window) for ``sentences``."""
    cols: dict[str, list[Any]] = {k: [] for k in ("input_ids", "trigger_labels", "ev_start", "ev_end", "ev_type",
                                                   "role_labels", "sentence")}
    for w in tokenize_windows(tokenizer, [s.text for s in sentences], max_length, stride):
        s = sentences[w.sample]
        trig_tags = spans_to_bio(w.word_spans, [(e.trigger.start, e.trigger.end, e.type) for e in s.events])
        trigger_labels = [IGNORE] * len(w)
        for pos, tag in zip(w.heads, trig_tags):
            trigger_labels[pos] = labels.trigger_id[tag]
        ev_start, ev_end, ev_type, role_labels = [], [], [], []
        for e in s.events:
            words = _trigger_words(w, e)
            if words is None:
                continue
            start, end = w.token_span(*words)
            ev_start.append(start)
            ev_end.append(end)
            ev_type.append(labels.type_id[e.type])
            tags = spans_to_bio(w.word_spans, [(a.start, a.end, a.role) for a in e.arguments])
            row = [IGNORE] * len(w)
            for pos, tag in zip(w.heads, tags):
                row[pos] = labels.role_id[tag]
            role_labels.append(row)
        for key, value in (("input_ids", w.input_ids), ("trigger_labels", trigger_labels), ("ev_start", ev_start),
                           ("ev_end", ev_end), ("ev_type", ev_type), ("role_labels", role_labels),
                           ("sentence", w.sample)):
            cols[key].append(value)
    return cols


def build_dataset(files: list[list[Sentence]], tokenizer, labels: LabelSet, max_length: int, stride: int
                  ) -> list[dict[str, Any]]:
    """Training rows (one per window) of several files, in file order; key ``source`` is the file index.

    A plain list: the corpus is a few thousand sentences, tokenized in seconds
    and held in memory, so a ``datasets.Dataset`` (Arrow tables, on-disk cache)
    would add a dependency and a JSON round trip of the events for nothing.
    """
    rows: list[dict[str, Any]] = []
    for k, sentences in enumerate(files):
        cols = encode_windows(sentences, tokenizer, labels, max_length, stride)
        del cols["sentence"]
        rows += [dict(zip(cols, values), source=k) for values in zip(*cols.values())]
    return rows


def epoch_indices(sources: list[int], weights: list[float], seed: int, epoch: int) -> list[int]:
    """Row indices for one epoch: each file's rows repeated by its weight, then shuffled.

    A fractional weight samples that share of the file's rows; the draw depends
    only on ``seed`` and ``epoch``, so a resumed run sees the same data order.
    """
    rng = np.random.default_rng([seed, epoch])
    src = np.asarray(sources)
    chosen: list[np.ndarray] = []
    for k, wt in enumerate(weights):
        rows = np.flatnonzero(src == k)
        whole, frac = int(wt), wt - int(wt)
        chosen.extend([rows] * whole)
        n_frac = int(round(frac * len(rows)))
        if n_frac:
            chosen.append(rng.choice(rows, size=n_frac, replace=False))
    idx = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    return rng.permutation(idx).tolist()


class EpochSampler(torch.utils.data.Sampler):
    """Yields ``epoch_indices`` for the epoch last set, grouped by length; accelerate shards it.

    Rows are shuffled, cut into pools of 50 batches, sorted by length within a
    pool, and the batches are shuffled again: batches hold sentences of
    similar length, so little compute goes to padding, while the order stays
    random and depends only on the seed and the epoch.
    """

    def __init__(self, sources: list[int], weights: list[float], seed: int, lengths: list[int] | None = None,
                 batch_size: int = 1):
        self.sources, self.weights, self.seed, self.epoch = sources, weights, seed, 0
        self.lengths, self.batch_size = lengths, batch_size
        self._len = len(epoch_indices(sources, weights, seed, 0))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        order = epoch_indices(self.sources, self.weights, self.seed, self.epoch)
        if self.lengths is None or self.batch_size <= 1:
            return iter(order)
        rng = np.random.default_rng([self.seed, self.epoch, 1])
        pool = self.batch_size * 50
        batches = []
        for k in range(0, len(order), pool):
            chunk = sorted(order[k:k + pool], key=lambda i: self.lengths[i])
            batches += [chunk[j:j + self.batch_size] for j in range(0, len(chunk), self.batch_size)]
        full = [b for b in batches if len(b) == self.batch_size]
        rest = [i for b in batches if len(b) < self.batch_size for i in b]
        return iter([i for j in rng.permutation(len(full)) for i in full[j]] + rest)

    def __len__(self) -> int:
        return self._len


def collate(rows: list[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch of rows and flatten its events for the argument head."""
    length = max(len(r["input_ids"]) for r in rows)
    n = len(rows)
    ids = torch.full((n, length), pad_id, dtype=torch.long)
    mask = torch.zeros((n, length), dtype=torch.long)
    trig = torch.full((n, length), IGNORE, dtype=torch.long)
    ev_batch, ev_start, ev_end, ev_type, roles = [], [], [], [], []
    for i, r in enumerate(rows):
        k = len(r["input_ids"])
        ids[i, :k] = torch.tensor(r["input_ids"])
        mask[i, :k] = 1
        trig[i, :k] = torch.tensor(r["trigger_labels"])
        for s, e, t, rl in zip(r["ev_start"], r["ev_end"], r["ev_type"], r["role_labels"]):
            ev_batch.append(i)
            ev_start.append(s)
            ev_end.append(e)
            ev_type.append(t)
            roles.append(list(rl) + [IGNORE] * (length - len(rl)))
    return {"input_ids": ids, "attention_mask": mask, "trigger_labels": trig,
            "ev_batch": torch.tensor(ev_batch, dtype=torch.long), "ev_start": torch.tensor(ev_start, dtype=torch.long),
            "ev_end": torch.tensor(ev_end, dtype=torch.long), "ev_type": torch.tensor(ev_type, dtype=torch.long),
            "role_labels": torch.tensor(roles, dtype=torch.long).reshape(len(roles), length)}
