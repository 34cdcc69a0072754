"""Corpus statistics for ``sitrep data stats``: what a data file holds, by type and role."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from inference.records import Sentence

__all__ = ["corpus_stats", "format_stats"]


def _percentile(sorted_vals: list[int], q: float) -> float:
    if not sorted_vals:
        return 0.0
    k = (len(sorted_vals) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return float(sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo))


def corpus_stats(sentences: Iterable[Sentence]) -> dict[str, Any]:
    """Counts that say whether a corpus is big, balanced and varied enough."""
    sentences = list(sentences)
    n = len(sentences)
    per_type: Counter[str] = Counter()
    per_role: Counter[str] = Counter()
    per_type_role: Counter[str] = Counter()
    triggers: dict[str, Counter[str]] = {}
    lengths = sorted(len(s.text.split()) for s in sentences)
    no_event = sum(1 for s in sentences if not s.events)
    multi = sum(1 for s in sentences if len(s.events) >= 2)
    for s in sentences:
        for e in s.events:
            per_type[e.type] += 1
            triggers.setdefault(e.type, Counter())[e.trigger.text.lower()] += 1
            for a in e.arguments:
                per_role[a.role] += 1
                per_type_role[f"{e.type}.{a.role}"] += 1
    return {
        "sentences": n,
        "documents": len({s.doc_id or s.id for s in sentences}),
        "events": sum(per_type.values()),
        "events_per_type": dict(sorted(per_type.items())),
        "arguments_per_role": dict(sorted(per_role.items())),
        "arguments_per_type_role": dict(sorted(per_type_role.items())),
        "share_no_event": round(no_event / n, 4) if n else 0.0,
        "share_two_or_more_events": round(multi / n, 4) if n else 0.0,
        "distinct_triggers_per_type": {t: len(c) for t, c in sorted(triggers.items())},
        "top_trigger_share_per_type": {
            t: round(c.most_common(1)[0][1] / sum(c.values()), 4) for t, c in sorted(triggers.items())},
        "top_triggers_per_type": {t: dict(c.most_common(15)) for t, c in sorted(triggers.items())},
        "sentence_length_words": {f"p{q}": _percentile(lengths, q / 100) for q in (5, 25, 50, 75, 95)},
    }


def format_stats(name: str, st: dict[str, Any]) -> str:
    """A readable block of the main figures of ``corpus_stats``."""
    lines = [f"{name}: {st['sentences']} sentences, {st['documents']} documents, {st['events']} events",
             f"  no-event sentences: {st['share_no_event']:.1%}   two or more events: {st['share_two_or_more_events']:.1%}",
             "  events per type: " + ", ".join(f"{k} {v}" for k, v in st["events_per_type"].items()),
             "  arguments per role: " + ", ".join(f"{k} {v}" for k, v in st["arguments_per_role"].items()),
             "  distinct triggers per type: " + ", ".join(
                 f"{k} {v} (top {st['top_trigger_share_per_type'][k]:.0%})"
                 for k, v in st["distinct_triggers_per_type"].items()),
             "  sentence length (words): " + ", ".join(f"{k} {v:g}" for k, v in st["sentence_length_words"].items())]
    return "\n".join(lines)
