"""The data contract of docs/ANNOTATION.md section 1, checked: every problem, with its field path.

The one validator of records: ``Sentence.from_dict`` raises the first problem
it finds, ``load_sentences`` refuses a file with all of them, and ``sitrep
data validate``, training and the corpus tools list them as
``FILE:LINE: field: problem``. Without an ontology the form is checked
(fields, types, offsets against the text); with one, event types and roles too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from inference.inputs import surrogate_problem
from inference.jsonl import read_lines
from inference.ontology import Ontology

__all__ = ["Problem", "FileCheck", "record_problems", "check_file"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the field path (``events[0].trigger.text``) and what is wrong with it."""

    field: str
    message: str
    file: str | None = None
    line: int | None = None  # 1-based; 0 for the file as a whole

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file is not None else ""
        return f"{where}{self.field}: {self.message}"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_span(span: Any, text: str, where: str, out: list[Problem]) -> tuple[int, int] | None:
    if not isinstance(span, dict):
        out.append(Problem(where, "must be an object with start, end, text"))
        return None
    ok = True
    for key in ("start", "end"):
        if not _is_int(span.get(key)):
            out.append(Problem(f"{where}.{key}", "missing or not an integer"))
            ok = False
    if not isinstance(span.get("text"), str):
        out.append(Problem(f"{where}.text", "missing or not a string"))
        ok = False
    if not ok:
        return None
    start, end = span["start"], span["end"]
    if not 0 <= start < end <= len(text):
        out.append(Problem(where, f"offsets [{start}, {end}) are not a non-empty range inside the text "
                                  f"(length {len(text)})"))
        return None
    if text[start:end] != span["text"]:
        out.append(Problem(f"{where}.text", f"{span['text']!r} != text[{start}:{end}] = {text[start:end]!r}"))
    elif span["text"] != span["text"].strip():
        out.append(Problem(f"{where}.text", f"{span['text']!r} has leading or trailing white space"))
    return start, end


def _check_score(obj: dict, where: str, out: list[Problem]) -> None:
    if "score" in obj:
        s = obj["score"]
        if not isinstance(s, (int, float)) or isinstance(s, bool) or not 0 <= s <= 1:
            out.append(Problem(f"{where}.score", f"{s!r} is not a number in 0..1"))


def _check_type(etype: Any, where: str, ontology: Ontology | None, out: list[Problem]) -> None:
    if ontology is not None and etype not in ontology.type_names:
        out.append(Problem(f"{where}.type", f"{etype!r} is not an event type of the ontology "
                                            f"({', '.join(ontology.type_names)})"))
    elif not isinstance(etype, str):
        out.append(Problem(f"{where}.type", "missing or not a string"))


def _check_role(role: Any, etype: Any, where: str, ontology: Ontology | None, out: list[Problem]) -> None:
    if ontology is None:
        if not isinstance(role, str):
            out.append(Problem(f"{where}.role", "missing or not a string"))
    elif role not in ontology.roles:
        out.append(Problem(f"{where}.role", f"{role!r} is not a role of the ontology"))
    elif etype in ontology.type_names and not ontology.allowed(etype, role):
        out.append(Problem(f"{where}.role", f"{role!r} is not allowed for {etype} "
                                            f"(allowed: {', '.join(ontology.spec(etype).roles)})"))


def _objects(items: list, where: str, out: list[Problem]) -> Iterator[tuple[str, dict]]:
    """Each item of ``items`` that is a JSON object, with its path; a problem for each that is not."""
    for k, item in enumerate(items):
        if isinstance(item, dict):
            yield f"{where}[{k}]", item
        else:
            out.append(Problem(f"{where}[{k}]", "must be an object"))


def _check_arguments(args: Any, etype: Any, text: str, where: str, ontology: Ontology | None,
                     out: list[Problem]) -> None:
    if not isinstance(args, list):
        out.append(Problem(f"{where}.arguments", "must be a list"))
        return
    seen = set()
    for aw, arg in _objects(args, f"{where}.arguments", out):
        role = arg.get("role")
        _check_role(role, etype, aw, ontology, out)
        _check_score(arg, aw, out)
        span = _check_span(arg, text, aw, out)
        if span is not None:
            if (role, span) in seen:
                out.append(Problem(aw, f"duplicate argument {role} {text[span[0]:span[1]]!r}"))
            seen.add((role, span))


def record_problems(obj: Any, ontology: Ontology | None = None) -> list[Problem]:
    """Every problem of one parsed record, in field order; empty when it follows the contract."""
    out: list[Problem] = []
    if not isinstance(obj, dict):
        return [Problem("record", "must be a JSON object")]
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        out.append(Problem("id", "missing or not a non-empty string"))
    if "doc_id" in obj and not isinstance(obj["doc_id"], str):
        out.append(Problem("doc_id", "must be a string"))
    text = obj.get("text")
    if not isinstance(text, str):
        out.append(Problem("text", "missing or not a string"))
        return out
    surrogate = surrogate_problem(text)
    if surrogate:
        out.append(Problem("text", surrogate))
    events = obj.get("events")
    if not isinstance(events, list):
        out.append(Problem("events", "missing or not a list (a sentence without events has \"events\": [])"))
        return out
    seen_events = set()
    for w, ev in _objects(events, "events", out):
        etype = ev.get("type")
        _check_type(etype, w, ontology, out)
        _check_score(ev, w, out)
        trig = _check_span(ev.get("trigger"), text, f"{w}.trigger", out)
        _check_arguments(ev.get("arguments", []), etype, text, w, ontology, out)
        if trig is not None:
            if (etype, trig) in seen_events:
                out.append(Problem(w, f"duplicate event: {etype} with trigger {text[trig[0]:trig[1]]!r} "
                                      "already given"))
            seen_events.add((etype, trig))
    return out


@dataclass
class FileCheck:
    """A JSONL file read and checked: its parsed records by line, and every problem found."""

    path: Path
    lines: int = 0                                                # non-blank lines
    records: list[tuple[int, Any]] = field(default_factory=list)  # (line, parsed JSON) of each line that parsed
    problems: list[Problem] = field(default_factory=list)


def check_file(path: str | Path, ontology: Ontology | None = None) -> FileCheck:
    """Read and check every line of a JSONL file: contract problems, ids used twice, bad JSON or UTF-8."""
    check = FileCheck(Path(path))
    name = str(path)
    if not check.path.is_file():
        check.problems.append(Problem("file", "not found", name, 0))
        return check
    ids: dict[str, int] = {}
    for line in read_lines(check.path):
        check.lines += 1
        if line.text is None:
            check.problems.append(Problem("encoding", line.problem or "", name, line.number))
            continue
        try:
            obj = json.loads(line.text)
        except json.JSONDecodeError as exc:
            check.problems.append(Problem("json", f"not valid JSON: {exc.msg} at column {exc.colno}", name,
                                          line.number))
            continue
        check.records.append((line.number, obj))
        check.problems.extend(replace(p, file=name, line=line.number) for p in record_problems(obj, ontology))
        rid = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(rid, str) and rid:
            if rid in ids:
                check.problems.append(Problem("id", f"{rid!r} already used on line {ids[rid]}", name, line.number))
            else:
                ids[rid] = line.number
    return check
