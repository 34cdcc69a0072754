"""Label schemes and BIO conversion: pure functions, no model.

Triggers are tagged ``B-Type``/``I-Type``/``O`` over words; arguments of one
event are tagged ``B-Role``/``I-Role``/``O`` over the same words.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from inference.ontology import Ontology

__all__ = ["LabelSet", "spans_to_bio", "bio_to_spans", "bio_transitions", "viterbi_bio"]

OUTSIDE = "O"


class LabelSet:
    """Trigger and role BIO labels of an ontology, with their ids and type-role masks."""

    def __init__(self, ontology: Ontology):
        self.ontology = ontology
        self.trigger_labels = [OUTSIDE] + [f"{p}-{t}" for t in ontology.type_names for p in "BI"]
        self.role_labels = [OUTSIDE] + [f"{p}-{r}" for r in ontology.roles for p in "BI"]
        self.trigger_id = {lab: i for i, lab in enumerate(self.trigger_labels)}
        self.role_id = {lab: i for i, lab in enumerate(self.role_labels)}
        self.type_id = {t: i for i, t in enumerate(ontology.type_names)}

    def role_mask(self) -> list[list[bool]]:
        """``mask[type_id][role_label_id]``: whether that role label may appear for that type."""
        return [[lab == OUTSIDE or self.ontology.allowed(t, lab[2:]) for lab in self.role_labels]
                for t in self.ontology.type_names]


def spans_to_bio(word_spans: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """Tag words with BIO labels from character spans.

    A word belongs to a span when their character ranges overlap. Where spans
    overlap on a word, the first one given keeps it.

    >>> spans_to_bio([(0, 3), (4, 9), (10, 12)], [(4, 12, "Agent")])
    ['O', 'B-Agent', 'I-Agent']
    """
    tags = [OUTSIDE] * len(word_spans)
    for start, end, label in spans:
        first = True
        for i, (ws, we) in enumerate(word_spans):
            if ws < end and we > start and tags[i] == OUTSIDE:
                tags[i] = ("B-" if first else "I-") + label
                first = False
            elif ws < end and we > start:
                first = False
    return tags


def bio_to_spans(tags: Sequence[str], scores: Sequence[float] | None = None) -> list[tuple[int, int, str, float]]:
    """Decode BIO tags into ``(first_word, last_word_exclusive, label, score)``.

    Repairs ill-formed sequences: an ``I-X`` with no open ``X`` span starts one.
    A span's score is the mean of its words' label probabilities.

    >>> bio_to_spans(["O", "I-Coup", "I-Coup", "B-Coup"])
    [(1, 3, 'Coup', 1.0), (3, 4, 'Coup', 1.0)]
    """
    spans: list[tuple[int, int, str, float]] = []
    cur: list | None = None
    for i, tag in enumerate(list(tags) + [OUTSIDE]):
        s = 1.0 if scores is None or i >= len(tags) else float(scores[i])
        label = tag[2:] if tag != OUTSIDE else None
        continues = cur is not None and tag.startswith("I-") and label == cur[2]
        if continues:
            cur[1] = i + 1
            cur[3].append(s)
            continue
        if cur is not None:
            spans.append((cur[0], cur[1], cur[2], sum(cur[3]) / len(cur[3])))
            cur = None
        if label is not None:
            cur = [i, i + 1, label, [s]]
    return spans


def bio_transitions(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which label may follow which (``I-X`` only after ``B-X`` or ``I-X``), and which may start."""
    n = len(labels)
    follow = np.ones((n, n), dtype=bool)
    for j, lab in enumerate(labels):
        if lab.startswith("I-"):
            follow[:, j] = [prev in (f"B-{lab[2:]}", lab) for prev in labels]
    start = np.array([not lab.startswith("I-") for lab in labels])
    return follow, start


def viterbi_bio(probs: np.ndarray, follow: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The most probable well-formed BIO label sequence for per-word label probabilities.

    Independent per-word argmax can leave an ``I-`` with no ``B-`` (a fragment
    such as a lone "of"); the constrained best path never does. ``probs`` is
    ``[words, labels]``, or ``[sequences, words, labels]`` to decode several
    equally long sequences in one pass (one numpy step per word, not per word
    and sequence).

    >>> labels = ["O", "B-Agent", "I-Agent"]
    >>> f, s = bio_transitions(labels)
    >>> viterbi_bio(np.array([[0.6, 0.3, 0.1], [0.2, 0.1, 0.7]]), f, s).tolist()
    [1, 2]
    """
    if probs.ndim == 2:
        return viterbi_bio(probs[None], follow, start)[0]
    m, n, _ = probs.shape
    if n == 0:
        return np.zeros((m, 0), dtype=np.int64)
    logp = np.log(np.clip(probs, 1e-12, None))
    penalty = np.where(follow, 0.0, -np.inf)
    score = np.where(start, logp[:, 0], -np.inf)        # [sequences, labels]
    back = np.zeros(probs.shape, dtype=np.int64)
    for t in range(1, n):
        cand = score[:, :, None] + penalty              # [sequences, prev, next]
        back[:, t] = cand.argmax(1)
        score = cand.max(1) + logp[:, t]
    path = np.empty((m, n), dtype=np.int64)
    path[:, -1] = score.argmax(1)
    rows = np.arange(m)
    for t in range(n - 1, 0, -1):
        path[:, t - 1] = back[rows, t, path[:, t]]
    return path
