"""Errors on real reporting, counted by the categories issue #11 names.

    .venv/bin/python -m benchmarks.error_categories --model models/default --data data/real/dev.jsonl

Triggers: false Retreat/Coup/Ambush triggers under modality or negation
("will withdraw", "ordered to fall back"); a second event for one occurrence
("seized power in a swift coup"); missed Coups (wording the model does not
know); other false and missed triggers. Arguments: predictions that overlap a
gold argument of the same event and role but have other offsets (boundary
errors, split into punctuation at an edge, Message extent,
coordinated participants merged or split, cut short, too long), role confusions (same offsets,
other role), and other false and missed arguments.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Sequence

from inference.atomic import write_json
from inference.records import Sentence, load_sentences

__all__ = ["categorize"]

_MODALITY = re.compile(r"\b(will|would|could|may|might|shall|should|must|order(?:s|ed)?|plan(?:s|ned|ning)?|"
                       r"consider(?:s|ed|ing)?|threat(?:en|ens|ened)?|vow(?:s|ed)?|not|no|never|refus(?:e|ed|es)|"
                       r"demand(?:s|ed)?|agree(?:s|d)?|intend(?:s|ed)?|expected|set|ready|prepar(?:e|ed|ing)|"
                       r"urg(?:e|ed|es)|call(?:s|ed)?|want(?:s|ed)?|to|if|unless|possible|plot(?:s|ted|ting)?|"
                       r"attempt(?:s|ed)?|tr(?:y|ied|ies)|fail(?:s|ed)?)\b", re.I)
_FUNCTION_END = re.compile(r"\b(of|from|by|in|on|at|to|for|with|and|or|the|a|an|its|their|his|her|who|which|that|"
                           r"least|some|two|three|several)$", re.I)
_PUNCT = set(",;:—–-\"'“”‘’«»()[].")


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _trigger_category(kind: str, e, sentence: Sentence, other: Sentence) -> str:
    if kind == "FN":
        return "missed Coup trigger" if e.type == "Coup" else f"missed {e.type} trigger"
    if e.type != "Statement" and _MODALITY.search(" ".join(sentence.text[:e.trigger.start].split()[-5:])):
        return "false trigger under modality or negation"
    same_type = [g for g in other.events if g.type == e.type]
    near = [g for g in same_type if abs(g.trigger.start - e.trigger.start) < 80
            and "," not in sentence.text[min(g.trigger.end, e.trigger.end):max(g.trigger.start, e.trigger.start)]]
    if near and sum(p.type == e.type for p in sentence.events) > len(same_type):
        return "second event for one occurrence"
    return f"false {e.type} trigger, other"


def _argument_category(kind: str, e, a, event) -> str | None:
    """The category of argument ``a`` of ``e`` missing from ``event`` (the same event on the other side);
    None for an error counted from the other side (a role confusion or boundary error is one FP)."""
    if any((b.start, b.end) == (a.start, a.end) for b in event.arguments):
        return "role confusion (same span, other role)" if kind == "FP" else None
    same_role = [b for b in event.arguments if b.role == a.role and _overlap((a.start, a.end), (b.start, b.end))]
    if not same_role:
        return "missed argument, no overlapping prediction" if kind == "FN" else "false argument, no overlap"
    if kind == "FN":
        return None
    if a.text.strip() and (a.text[0] in _PUNCT or a.text[-1] in _PUNCT or all(c in _PUNCT for c in a.text)):
        return "boundary: punctuation at an edge"
    if len(same_role) > 1:
        return "boundary: coordinated participants merged"
    if sum(_overlap((b.start, b.end), (same_role[0].start, same_role[0].end))
           for b in e.arguments if b.role == a.role) > 1:
        return "boundary: one participant split"
    if e.type == "Statement" and a.role == "Message":
        return "boundary: Message extent"
    g = same_role[0]
    if _FUNCTION_END.search(a.text) or (g.start <= a.start and a.end <= g.end):
        return "boundary: cut short (inside the gold phrase)"
    if a.start <= g.start and g.end <= a.end:
        return "boundary: too long (gold phrase inside)"
    return "boundary: other extent"


def categorize(gold: Sequence[Sentence], pred: Sequence[Sentence]) -> Counter:
    """Count Tri-C and Arg-C errors by category (each error once)."""
    counts: Counter = Counter()
    by_id = {p.id: p for p in pred}
    for g in gold:
        p = by_id.get(g.id, Sentence(g.id, g.text, []))
        for kind, mine, other in (("FN", g, p), ("FP", p, g)):
            by_trigger = {(o.trigger.start, o.trigger.end, o.type): o for o in other.events}
            for e in mine.events:
                other_event = by_trigger.get((e.trigger.start, e.trigger.end, e.type))
                if other_event is None:
                    counts[_trigger_category(kind, e, mine, other)] += 1
                    continue
                found = {(b.start, b.end, b.role) for b in other_event.arguments}
                for a in e.arguments:
                    if (a.start, a.end, a.role) not in found:
                        cat = _argument_category(kind, e, a, other_event)
                        if cat is not None:
                            counts[cat] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--data", type=Path, nargs="+", required=True)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    from inference import EventExtractor

    ex = EventExtractor.from_pretrained(args.model, precision=args.precision)
    gold = [s for f in args.data for s in load_sentences(f)]
    counts = categorize(gold, ex.predict_records(gold))
    for cat, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{n:5d}  {cat}")
    if args.json:
        write_json(args.json, dict(sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
