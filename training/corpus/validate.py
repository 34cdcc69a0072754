"""Check JSONL data files against the data contract (ANNOTATION.md section 1).

Every problem of every line is reported as ``FILE:LINE: field: what is wrong``
so one run lists all that needs fixing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from inference.ontology import Ontology

__all__ = ["Problem", "validate_file", "validate_record"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


def _check_span(span, text: str, where: str, out: list[tuple[str, str]]) -> tuple[int, int] | None:
    if not isinstance(span, dict):
        out.append((where, "must be an object with start, end, text"))
        return None
    ok = True
    for key in ("start", "end"):
        v = span.get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            out.append((f"{where}.{key}", "missing or not an integer"))
            ok = False
    if not isinstance(span.get("text"), str):
        out.append((f"{where}.text", "missing or not a string"))
        ok = False
    if not ok:
        return None
    start, end = span["start"], span["end"]
    if not 0 <= start < end <= len(text):
        out.append((where, f"offsets [{start}, {end}) are not a non-empty range inside the text (length {len(text)})"))
        return None
    if text[start:end] != span["text"]:
        out.append((f"{where}.text", f"{span['text']!r} != text[{start}:{end}] = {text[start:end]!r}"))
    elif span["text"] != span["text"].strip():
        out.append((f"{where}.text", f"{span['text']!r} has leading or trailing white space"))
    return start, end


def _check_score(obj: dict, where: str, out: list[tuple[str, str]]) -> None:
    if "score" in obj:
        s = obj["score"]
        if not isinstance(s, (int, float)) or isinstance(s, bool) or not 0 <= s <= 1:
            out.append((f"{where}.score", f"{s!r} is not a number in 0..1"))


def _check_arguments(args, etype, text: str, where: str, ontology: Ontology, out: list[tuple[str, str]]) -> None:
    if not isinstance(args, list):
        out.append((f"{where}.arguments", "must be a list"))
        return
    seen = set()
    for j, arg in enumerate(args):
        aw = f"{where}.arguments[{j}]"
        if not isinstance(arg, dict):
            out.append((aw, "must be an object"))
            continue
        role = arg.get("role")
        if role not in ontology.roles:
            out.append((f"{aw}.role", f"{role!r} is not a role of the ontology"))
        elif etype in ontology.type_names and not ontology.allowed(etype, role):
            out.append((f"{aw}.role", f"{role!r} is not allowed for {etype} "
                                      f"(allowed: {', '.join(ontology.spec(etype).roles)})"))
        _check_score(arg, aw, out)
        span = _check_span(arg, text, aw, out)
        if span is not None:
            if (role, span) in seen:
                out.append((aw, f"duplicate argument {role} {text[span[0]:span[1]]!r}"))
            seen.add((role, span))


def validate_record(obj, ontology: Ontology) -> list[tuple[str, str]]:
    """Return ``(field, problem)`` pairs for one parsed record; empty when valid."""
    out: list[tuple[str, str]] = []
    if not isinstance(obj, dict):
        return [("record", "must be a JSON object")]
    if not isinstance(obj.get("id"), str) or not obj.get("id"):
        out.append(("id", "missing or not a non-empty string"))
    if "doc_id" in obj and not isinstance(obj["doc_id"], str):
        out.append(("doc_id", "must be a string"))
    text = obj.get("text")
    if not isinstance(text, str):
        out.append(("text", "missing or not a string"))
        return out
    events = obj.get("events")
    if not isinstance(events, list):
        out.append(("events", "missing or not a list (a sentence without events has \"events\": [])"))
        return out
    seen_events = set()
    for i, ev in enumerate(events):
        w = f"events[{i}]"
        if not isinstance(ev, dict):
            out.append((w, "must be an object"))
            continue
        etype = ev.get("type")
        if etype not in ontology.type_names:
            out.append((f"{w}.type", f"{etype!r} is not an event type of the ontology ({', '.join(ontology.type_names)})"))
        _check_score(ev, w, out)
        trig = _check_span(ev.get("trigger"), text, f"{w}.trigger", out)
        _check_arguments(ev.get("arguments", []), etype, text, w, ontology, out)
        if trig is not None:
            key = (etype, trig)
            if key in seen_events:
                out.append((w, f"duplicate event: {etype} with trigger {text[trig[0]:trig[1]]!r} already given"))
            seen_events.add(key)
    return out


def validate_file(path: str | Path, ontology: Ontology) -> tuple[list[Problem], int]:
    """Validate one JSONL file; return the problems and the number of records read."""
    path = Path(path)
    problems: list[Problem] = []
    if not path.is_file():
        return [Problem(str(path), 0, "file", "not found")], 0
    ids: dict[str, int] = {}
    count = 0
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            count += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(str(path), n, "json", f"not valid JSON: {exc.msg} at column {exc.colno}"))
                continue
            for fld, msg in validate_record(obj, ontology):
                problems.append(Problem(str(path), n, fld, msg))
            rid = obj.get("id") if isinstance(obj, dict) else None
            if isinstance(rid, str):
                if rid in ids:
                    problems.append(Problem(str(path), n, "id", f"{rid!r} already used on line {ids[rid]}"))
                else:
                    ids[rid] = n
    return problems, count
