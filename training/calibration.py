"""The argument threshold: the argument score below which extraction drops an argument, chosen on dev.

The argument head tags every word of the sentence for every trigger, and on
real reporting it proposes more arguments than annotators mark (more false
arguments than missed ones). An argument's score is the mean probability of its
words' tags; dropping low-scored arguments trades recall for precision. The
training run picks the threshold that maximises dev Arg-C F1 and writes it to
the model's ``config.json`` (``argument_threshold``), where the extractor reads it.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from inference.records import Sentence
from inference.scoring import score

__all__ = ["THRESHOLD_GRID", "drop_arguments_below", "choose_argument_threshold"]

THRESHOLD_GRID = tuple(round(0.05 * k, 2) for k in range(20))   # 0.0, 0.05, ..., 0.95


def drop_arguments_below(records: Sequence[Sentence], threshold: float) -> list[Sentence]:
    """Copies of predicted ``records`` without the arguments scored below ``threshold``."""
    return [Sentence(r.id, r.text, [replace(e, arguments=tuple(a for a in e.arguments if (a.score or 0.0) >= threshold))
                                    for e in r.events], r.doc_id) for r in records]


def choose_argument_threshold(gold: Sequence[Sentence], predicted: Sequence[Sentence],
                              grid: Sequence[float] = THRESHOLD_GRID) -> tuple[float, dict[str, float]]:
    """The threshold of ``grid`` with the best Arg-C F1 of ``predicted`` (extracted with no threshold)
    against ``gold``, the lowest on a tie; and the F1 at each threshold.

    >>> from inference.records import Argument, Event, Span
    >>> ev = lambda *args: [Event("Coup", Span(0, 4, "Coup"), tuple(args), 0.9)]
    >>> gold = [Sentence("a", "Coup in Mali", ev(Argument("Place", 8, 12, "Mali", None)))]
    >>> pred = [Sentence("a", "Coup in Mali", ev(Argument("Place", 8, 12, "Mali", 0.9),
    ...                                          Argument("Time", 5, 7, "in", 0.4)))]
    >>> choose_argument_threshold(gold, pred, grid=(0.0, 0.5, 0.95))
    (0.5, {'0.0': 0.6667, '0.5': 1.0, '0.95': 0.0})
    """
    f1 = {}
    for t in grid:
        f1[str(t)] = round(score(gold, drop_arguments_below(predicted, t))["arg_c"]["f1"], 4)
    best = max(grid, key=lambda t: (f1[str(t)], -t))
    return best, f1
