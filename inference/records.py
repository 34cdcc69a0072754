"""The data contract of docs/ANNOTATION.md section 1 as typed records.

One record is one sentence with its events. Gold files, training files and
prediction files all share this form; predictions add ``score``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from inference.atomic import atomic_open
from inference.ontology import Ontology
from inference.validation import check_file, record_problems

__all__ = ["Span", "Argument", "Event", "Sentence", "write_jsonl", "load_sentences", "save_sentences", "RecordError"]

_SHOWN = 20  # problems a refused file lists; `sitrep data validate` lists them all


class RecordError(ValueError):
    """A line of a JSONL file that does not follow the data contract."""


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` into a sentence's text, and that text."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Argument:
    """One argument of an event: a role and a span, with a score in predictions."""

    role: str
    start: int
    end: int
    text: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "start": self.start, "end": self.end, "text": self.text}
        if self.score is not None:
            d["score"] = round(float(self.score), 4)
        return d


@dataclass(frozen=True)
class Event:
    """One event mention: a typed trigger and its arguments."""

    type: str
    trigger: Span
    arguments: tuple[Argument, ...] = ()
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "trigger": self.trigger.to_dict(),
                             "arguments": [a.to_dict() for a in self.arguments]}
        if self.score is not None:
            d["score"] = round(float(self.score), 4)
        return d


@dataclass
class Sentence:
    """One line of a data file: a sentence, its id, and its events."""

    id: str
    text: str
    events: list[Event] = field(default_factory=list)
    doc_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # source, meta, and any other keys, kept as given

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.doc_id is not None:
            d["doc_id"] = self.doc_id
        d["text"] = self.text
        d["events"] = [e.to_dict() for e in self.events]
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Sentence":
        """Parse a record; raises ``RecordError`` with the first problem (``field: problem``) it has."""
        problems = record_problems(d)
        if problems:
            raise RecordError(str(problems[0]))
        return _sentence(d)


def _sentence(d: dict[str, Any]) -> Sentence:
    """The Sentence of a record that ``record_problems`` found no fault in."""
    events = []
    for e in d["events"]:
        t = e["trigger"]
        args = tuple(Argument(a["role"], a["start"], a["end"], a["text"], _score(a)) for a in e.get("arguments", []))
        events.append(Event(e["type"], Span(t["start"], t["end"], t["text"]), args, _score(e)))
    extra = {k: v for k, v in d.items() if k not in {"id", "text", "events", "doc_id"}}
    return Sentence(d["id"], d["text"], events, d.get("doc_id"), extra)


def _score(d: dict[str, Any]) -> float | None:
    return None if d.get("score") is None else float(d["score"])


def load_sentences(path: str | Path, ontology: Ontology | None = None) -> list[Sentence]:
    """Load a JSONL data file, refusing it with ``FILE:LINE: field: problem`` for each problem.

    With ``ontology``, event types and roles are checked against it too (as training does).
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such file")
    check = check_file(path, ontology)
    if check.problems:
        shown = "\n".join(str(p) for p in check.problems[:_SHOWN])
        more = len(check.problems) - _SHOWN
        raise RecordError(shown + (f"\n... and {more} more" if more > 0 else "")
                          + f"\n(`sitrep data validate {path}` lists every problem; docs/ANNOTATION.md section 1 "
                            "is the contract)")
    return [_sentence(obj) for _, obj in check.records]


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write JSON lines atomically: the file appears only once every row is written."""
    with atomic_open(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def save_sentences(path: str | Path, sentences: Iterable[Sentence]) -> None:
    """Save sentences as JSONL, atomically."""
    write_jsonl(path, (s.to_dict() for s in sentences))
