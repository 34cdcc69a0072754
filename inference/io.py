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

__all__ = ["InputRecord", "InputError", "read_inputs"]


class InputError(ValueError):
    """One bad input line: ``FILE:LINE: problem``."""


@dataclass
class InputRecord:
    id: str
    text: str
    doc_id: str | None = None


def _parse_jsonl(name: str, lines: list[str], errors: list[str]) -> list[InputRecord]:
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{name}:{n}: not valid JSON: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{name}:{n}: a line must be a JSON object with 'id' and 'text'")
            continue
        text, rid = obj.get("text"), obj.get("id", f"{Path(name).stem}-{n}")
        if not isinstance(text, str):
            errors.append(f"{name}:{n}: text: missing or not a string")
            continue
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            errors.append(f"{name}:{n}: id: must be a string or an integer")
            continue
        doc_id: Any = obj.get("doc_id")
        out.append(InputRecord(str(rid), text, doc_id if isinstance(doc_id, str) else None))
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
