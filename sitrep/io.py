"""Reading ``sitrep extract``'s inputs: JSONL records, plain-text files, standard input.

Every input record is checked before any extraction starts, so a bad line is
reported with its file and line number and nothing partial is written.
Inputs are read as bytes and decoded without newline translation, so a text
keeps its "\\r\\n" and the offsets written point into the text as given, from a
file and from standard input alike.
"""
from __future__ import annotations

import sys
from pathlib import Path

from inference.inputs import InputRecord, parse_input_line
from inference.jsonl import decode_problem, split_lines

__all__ = ["read_inputs"]


def _parse_jsonl(name: str, data: bytes, errors: list[str]) -> list[InputRecord]:
    out = []
    for line in split_lines(data):
        if line.text is None:
            errors.append(f"{name}:{line.number}: {line.problem}")
            continue
        record, reason, _ = parse_input_line(line.text, default_id=f"{Path(name).stem}-{line.number}")
        if record is None:
            errors.append(f"{name}:{line.number}: {reason}")
        else:
            out.append(record)
    return out


def _decode_document(name: str, data: bytes, errors: list[str]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        errors.append(f"{name}:{line}: {decode_problem(exc.reason, exc.start - line_start + 1)}")
        return None


def read_inputs(inputs: list[str]) -> tuple[list[InputRecord], list[str]]:
    """Read every input; return the good records and one ``FILE:LINE: problem`` per bad line.

    ``.jsonl`` files hold one ``{"id", "text"}`` object per line (gold files
    work: their events are ignored); any other file is one document; ``-``
    reads standard input, as JSONL when its first non-blank character is "{".
    """
    records: list[InputRecord] = []
    errors: list[str] = []
    for name in inputs:
        if name == "-":
            name, stem, data = "<stdin>", "stdin", sys.stdin.buffer.read()
            jsonl = data.lstrip().startswith(b"{")
        else:
            path = Path(name)
            if not path.is_file():
                errors.append(f"{name}: file not found")
                continue
            stem, data, jsonl = path.stem, path.read_bytes(), path.suffix == ".jsonl"
        if jsonl:
            records.extend(_parse_jsonl(name, data, errors))
            continue
        text = _decode_document(name, data, errors)
        # an empty standard input holds no document; an empty file is one, without events
        if text is not None and (text.strip() or name != "<stdin>"):
            records.append(InputRecord(stem, text))
    return records, errors
