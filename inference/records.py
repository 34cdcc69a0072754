"""The data contract of ANNOTATION.md section 1 as typed records.

One record is one sentence with its events. Gold files, training files and
prediction files all share this form; predictions add ``score``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from inference.atomic import atomic_open

__all__ = ["Span", "Argument", "Event", "Sentence", "read_jsonl", "write_jsonl", "load_sentences", "save_sentences",
           "RecordError"]


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
        """Parse a record; raises ``RecordError`` naming the field at fault.

        Offsets are not checked against the text here: that is the validator's
        job, which reports every problem of a file at once.
        """
        if not isinstance(d, dict):
            raise RecordError("record: must be a JSON object")
        for key, kind in (("id", str), ("text", str)):
            if key not in d:
                raise RecordError(f"{key}: missing")
            if not isinstance(d[key], kind):
                raise RecordError(f"{key}: must be a string")
        events_raw = d.get("events", [])
        if not isinstance(events_raw, list):
            raise RecordError("events: must be a list")
        events = [_event_from_dict(e, f"events[{i}]") for i, e in enumerate(events_raw)]
        doc_id = d.get("doc_id")
        if doc_id is not None and not isinstance(doc_id, str):
            raise RecordError("doc_id: must be a string")
        extra = {k: v for k, v in d.items() if k not in {"id", "text", "events", "doc_id"}}
        return cls(d["id"], d["text"], events, doc_id, extra)


def _span_fields(d: Any, where: str) -> tuple[int, int, str]:
    if not isinstance(d, dict):
        raise RecordError(f"{where}: must be an object with start, end, text")
    for key in ("start", "end"):
        if not isinstance(d.get(key), int) or isinstance(d.get(key), bool):
            raise RecordError(f"{where}.{key}: must be an integer")
    if not isinstance(d.get("text"), str):
        raise RecordError(f"{where}.text: must be a string")
    return d["start"], d["end"], d["text"]


def _score(d: dict[str, Any], where: str) -> float | None:
    s = d.get("score")
    if s is None:
        return None
    if not isinstance(s, (int, float)) or isinstance(s, bool) or not 0.0 <= s <= 1.0:
        raise RecordError(f"{where}.score: must be a number in 0..1")
    return float(s)


def _event_from_dict(d: Any, where: str) -> Event:
    if not isinstance(d, dict):
        raise RecordError(f"{where}: must be an object")
    if not isinstance(d.get("type"), str):
        raise RecordError(f"{where}.type: missing or not a string")
    trigger = Span(*_span_fields(d.get("trigger"), f"{where}.trigger"))
    args_raw = d.get("arguments", [])
    if not isinstance(args_raw, list):
        raise RecordError(f"{where}.arguments: must be a list")
    args = []
    for j, a in enumerate(args_raw):
        aw = f"{where}.arguments[{j}]"
        start, end, text = _span_fields(a, aw)
        if not isinstance(a.get("role"), str):
            raise RecordError(f"{aw}.role: missing or not a string")
        args.append(Argument(a["role"], start, end, text, _score(a, aw)))
    return Event(d["type"], trigger, tuple(args), _score(d, where))


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_json)`` for each non-blank line.

    Raises ``RecordError`` with ``FILE:LINE`` on a line that is not JSON.
    """
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"{path}:{n}: not valid JSON: {exc.msg}") from None


def load_sentences(path: str | Path) -> list[Sentence]:
    """Load a JSONL data file; raises ``RecordError`` with ``FILE:LINE: field: problem``."""
    out = []
    for n, obj in read_jsonl(path):
        try:
            out.append(Sentence.from_dict(obj))
        except RecordError as exc:
            raise RecordError(f"{path}:{n}: {exc}") from None
    return out


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write JSON lines atomically: the file appears only once every row is written."""
    with atomic_open(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def save_sentences(path: str | Path, sentences: Iterable[Sentence]) -> None:
    """Save sentences as JSONL, atomically."""
    write_jsonl(path, (s.to_dict() for s in sentences))
