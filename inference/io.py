"""Reading extraction inputs: JSONL records, plain-text files, standard input.

Every input record is checked before any extraction starts, so a bad line is
reported with its file and line number and nothing partial is written.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["InputRecord", "InputError", "read_inputs", "parse_input_line"]


class InputError(ValueError):
    """One bad input line: ``FILE:LINE: problem``."""


@dataclass
class InputRecord:
    id: str
    text: str
    doc_id: str | None = None


def parse_input_line(line: str, default_id: str | None = None) -> tuple[InputRecord | None, str | None, str]:
    """One JSONL input line as ``(record, None, id)``, or ``(None, reason, id)`` when it cannot be used.

    A line without ``id`` takes ``default_id``, or is refused when there is none. The id of a bad
    line is its ``id`` field when it has one, else the line itself (cut to 200 characters).
    """
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg}", line[:200]
    if not isinstance(obj, dict):
        return None, "a line must be a JSON object with 'id' and 'text'", line[:200]
    rid = obj.get("id", default_id)
    if rid is None:
        return None, "id: missing", line[:200]
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        return None, "id: must be a string or an integer", line[:200]
    if not isinstance(obj.get("text"), str):
        return None, "text: missing or not a string", str(rid)
    doc_id: Any = obj.get("doc_id")
    return InputRecord(str(rid), obj["text"], doc_id if isinstance(doc_id, str) else None), None, str(rid)


def _parse_jsonl(name: str, lines: list[str], errors: list[str]) -> list[InputRecord]:
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record, reason, _ = parse_input_line(line, default_id=f"{Path(name).stem}-{n}")
        if record is None:
            errors.append(f"{name}:{n}: {reason}")
        else:
            out.append(record)
    return out


def read_inputs(inputs: list[str]) -> tuple[list[InputRecord], list[str]]:
    """Read every input; return the good records and one message per bad line.

    ``.jsonl`` files hold one ``{"id", "text"}`` object per line (gold files
    work: their events are ignored); any other file is one document; ``-``
    reads standard input, as JSONL when its first non-blank line is an object.
    """
    records: list[InputRecord] = []
    errors: list[str] = []
    for name in inputs:
        if name == "-":
            content = sys.stdin.read()
            first = next((ln for ln in content.splitlines() if ln.strip()), "")
            if first.lstrip().startswith("{"):
                records.extend(_parse_jsonl("<stdin>", content.splitlines(), errors))
            elif content.strip():
                records.append(InputRecord("stdin", content))
            continue
        path = Path(name)
        if not path.is_file():
            errors.append(f"{name}: file not found")
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            errors.append(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        if path.suffix == ".jsonl":
            records.extend(_parse_jsonl(name, content.splitlines(), errors))
        else:
            records.append(InputRecord(path.stem, content))
    return records, errors
