"""Scoring of docs/ANNOTATION.md section 6: Tri-I, Tri-C, Arg-I, Arg-C, sentence types, per type/role, confusion.

Pure Python plus scikit-learn (no torch): gold and predictions are lists of
``Sentence`` records aligned by ``id``. Matching is one-to-one: a gold item is
matched at most once, so duplicated predictions count as false positives. The
same matching (``match``) gives the scores and the lists of errors, so the two
always agree.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from inference.records import Sentence

__all__ = ["PRF", "Match", "MEASURES", "score", "align", "match", "sentence_type_rows", "sentence_type_scores",
           "NO_EVENT"]

MEASURES = ("tri_i", "tri_c", "arg_i", "arg_c")

NO_EVENT = "no event"


@dataclass(frozen=True)
class PRF:
    """Counts and precision/recall/F1 of one measure."""

    tp: int
    n_pred: int
    n_gold: int

    @property
    def p(self) -> float:
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def r(self) -> float:
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (self.n_pred + self.n_gold) if (self.n_pred + self.n_gold) else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"p": round(self.p, 4), "r": round(self.r, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "n_pred": self.n_pred, "n_gold": self.n_gold}


def align(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> tuple[list[tuple[Sentence, Sentence]], list[str]]:
    """Pair gold and predicted records by ``id``.

    A gold id without a prediction is paired with an empty prediction and listed
    as missing; a predicted id absent from gold, or a prediction whose text
    differs from its gold text, is an error.
    """
    by_id = {}
    for s in pred:
        if s.id in by_id:
            raise ValueError(f"prediction id {s.id!r} appears twice")
        by_id[s.id] = s
    gold_ids = {s.id for s in gold}
    extra = [i for i in by_id if i not in gold_ids]
    if extra:
        raise ValueError(f"{len(extra)} prediction id(s) not in gold, e.g. {extra[:3]}; are the files paired right?")
    pairs, missing = [], []
    for g in gold:
        p = by_id.get(g.id)
        if p is None:
            missing.append(g.id)
            p = Sentence(g.id, g.text, [])
        elif p.text != g.text:
            raise ValueError(f"id {g.id!r}: prediction text differs from gold text; offsets cannot be compared")
        pairs.append((g, p))
    return pairs, missing


def _keyed(s: Sentence, measure: str) -> list[tuple[tuple, Any]]:
    """``(match key, item)`` for each trigger (item: the event) or argument (item: (event, argument)) of ``s``.

    The keys are docs/ANNOTATION.md section 6's: offsets, plus the type for Tri-C; for
    arguments their event's type and trigger offsets, plus the role for Arg-C.
    """
    if measure in ("tri_i", "tri_c"):
        return [((e.trigger.start, e.trigger.end) + ((e.type,) if measure == "tri_c" else ()), e) for e in s.events]
    if measure in ("arg_i", "arg_c"):
        return [((e.type, e.trigger.start, e.trigger.end, a.start, a.end) + ((a.role,) if measure == "arg_c" else ()),
                 (e, a)) for e in s.events for a in e.arguments]
    raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")


@dataclass
class Match:
    """One-to-one matching of one sentence's gold and predicted items under one measure."""

    matched: list[Any] = field(default_factory=list)    # predicted items with a gold twin
    missed: list[Any] = field(default_factory=list)     # gold items no prediction matched (false negatives)
    spurious: list[Any] = field(default_factory=list)   # predicted items no gold matched (false positives)


def match(gold: Sentence, pred: Sentence, measure: str) -> Match:
    """Match ``pred``'s items to ``gold``'s under ``measure`` (tri_i, tri_c, arg_i, arg_c), each gold item once.

    >>> from inference.records import Event, Span
    >>> e = Event("Retreat", Span(7, 11, "fled"))
    >>> m = match(Sentence("a", "Troops fled.", [e]), Sentence("a", "Troops fled.", [e, e]), "tri_c")
    >>> len(m.matched), len(m.missed), len(m.spurious)
    (1, 0, 1)
    """
    by_key: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for side, s in enumerate((gold, pred)):
        for key, item in _keyed(s, measure):
            by_key[key][side].append(item)
    out = Match()
    for gold_items, pred_items in by_key.values():
        n = min(len(gold_items), len(pred_items))
        out.matched += pred_items[:n]
        out.missed += gold_items[n:]
        out.spurious += pred_items[n:]
    return out


def _prf(matches: Sequence[Match], keep=lambda item: True) -> PRF:
    """Counts over several sentences' matches, of the items ``keep`` selects."""
    tp = sum(1 for m in matches for x in m.matched if keep(x))
    return PRF(tp, tp + sum(1 for m in matches for x in m.spurious if keep(x)),
               tp + sum(1 for m in matches for x in m.missed if keep(x)))


def _confusion(pairs: list[tuple[Sentence, Sentence]], labels: list[str]) -> list[list[int]]:
    """Trigger-type confusion by offsets, with ``no event`` for unmatched triggers (rows gold, columns predicted)."""
    from sklearn.metrics import confusion_matrix

    y_gold, y_pred = [], []
    for g, p in pairs:
        pred_left: dict[tuple[int, int], list[str]] = {}
        for e in p.events:
            pred_left.setdefault((e.trigger.start, e.trigger.end), []).append(e.type)
        for e in g.events:
            cands = pred_left.get((e.trigger.start, e.trigger.end), [])
            pick = e.type if e.type in cands else (cands[0] if cands else None)
            if pick is not None:
                cands.remove(pick)
            y_gold.append(e.type)
            y_pred.append(pick or NO_EVENT)
        for types in pred_left.values():
            for t in types:
                y_gold.append(NO_EVENT)
                y_pred.append(t)
    if not y_gold:
        return [[0] * len(labels) for _ in labels]
    return confusion_matrix(y_gold, y_pred, labels=labels).tolist()


def sentence_type_rows(sentences: Sequence[Sentence], types: Sequence[str]) -> list[list[int]]:
    """One 0/1 row per sentence, one column per type: whether the sentence has an event of that type.

    >>> from inference.records import Event, Span
    >>> sentence_type_rows([Sentence("a", "Troops fled.", [Event("Retreat", Span(7, 11, "fled"))])], ["Coup", "Retreat"])
    [[0, 1]]
    """
    return [[int(any(e.type == t for e in s.events)) for t in types] for s in sentences]


def sentence_type_scores(y_true: list[list[int]], y_pred: list[list[int]], types: Sequence[str]) -> dict[str, Any]:
    """Micro and macro F1 (and per type P/R/F1) of the rows of ``sentence_type_rows``."""
    from sklearn.metrics import precision_recall_fscore_support

    out: dict[str, Any] = {"micro_f1": 0.0, "macro_f1": 0.0, "per_type": {}}
    if not y_true or not types:
        return out
    for avg in ("micro", "macro"):
        _, _, f1, _ = precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=0)
        out[f"{avg}_f1"] = round(float(f1), 4)
    p_, r_, f_, s_ = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0,
                                                     labels=list(range(len(types))))
    out["per_type"] = {t: {"p": round(float(p_[i]), 4), "r": round(float(r_[i]), 4), "f1": round(float(f_[i]), 4),
                           "support": int(s_[i])} for i, t in enumerate(types)}
    return out


def score(gold: Sequence[Sentence], pred: Sequence[Sentence], types: Sequence[str] | None = None,
          roles: Sequence[str] | None = None) -> dict[str, Any]:
    """All measures of docs/ANNOTATION.md section 6 for aligned gold and predictions.

    >>> from inference.records import Event, Span
    >>> g = [Sentence("a", "Troops fled.", [Event("Retreat", Span(7, 11, "fled"))])]
    >>> score(g, g)["tri_c"]["f1"]
    1.0
    """
    pairs, missing = align(gold, pred)
    if types is None:
        types = sorted({e.type for g, p in pairs for s in (g, p) for e in s.events})
    if roles is None:
        roles = sorted({a.role for g, p in pairs for s in (g, p) for e in s.events for a in e.arguments})
    matches = {m: [match(g, p, m) for g, p in pairs] for m in MEASURES}
    golds, preds = [g for g, _ in pairs], [p for _, p in pairs]
    labels = list(types) + [NO_EVENT]
    return {
        "sentences": len(pairs),
        "missing_predictions": missing,
        **{m: _prf(matches[m]).to_dict() for m in MEASURES},
        "sentence_types": sentence_type_scores(sentence_type_rows(golds, types), sentence_type_rows(preds, types),
                                               types),
        "per_type": {t: _prf(matches["tri_c"], lambda e, t=t: e.type == t).to_dict() for t in types},
        "per_role": {r: _prf(matches["arg_c"], lambda ea, r=r: ea[1].role == r).to_dict() for r in roles},
        "confusion": {"labels": labels, "matrix": _confusion(pairs, labels)},
    }
