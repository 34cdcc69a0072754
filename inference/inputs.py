"""What extraction accepts: texts, and JSONL input lines holding them.

Pure checks, no model: the extractor, ``sitrep extract``, the Ray engine and
the data validator use them so that a bad text is refused with where it is
and how to fix it, before the tokenizer meets it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["InputRecord", "check_texts", "parse_input_line", "surrogate_problem"]

# A Python str holds a surrogate code point only when it stands alone (a pair is one astral
# character), e.g. after json.loads of a broken escape "\ud800"; it cannot be encoded as UTF-8,
# so the tokenizer refuses it with a TypeError that says nothing of where it is.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class InputRecord:
    """One text to extract from, with the id (and document id) it came with."""

    id: str
    text: str
    doc_id: str | None = None


def surrogate_problem(text: str) -> str | None:
    """Where ``text`` holds a lone surrogate and how to fix it; None when it holds none."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (f"lone surrogate U+{ord(found.group()):04X} at character {found.start()}: not a Unicode character "
            "(often a broken \\uXXXX escape); remove it or replace it with the character meant")


def check_texts(texts: Any) -> list[str]:
    """``texts`` as a list of str (one str becomes a list of one); raise naming the first bad item.

    >>> check_texts("Troops fell back.")
    ['Troops fell back.']
    """
    if isinstance(texts, str):
        return [texts]
    if texts is None or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a str or a sequence of str, got {type(texts).__name__}")
    for i, t in enumerate(texts):
        if t is None:
            raise ValueError(f"texts[{i}] is None; pass a string (an empty string gives no events)")
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(t).__name__}")
        problem = surrogate_problem(t)
        if problem:
            raise ValueError(f"texts[{i}] has a {problem}")
    return list(texts)


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
    text = obj.get("text")
    if not isinstance(text, str):
        return None, "text: missing or not a string", str(rid)
    problem = surrogate_problem(text)
    if problem:
        return None, f"text: {problem}", str(rid)
    doc_id = obj.get("doc_id")
    return InputRecord(str(rid), text, doc_id if isinstance(doc_id, str) else None), None, str(rid)
