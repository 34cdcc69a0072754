"""Splitting JSON Lines: at "\\n" only, each line decoded as UTF-8 on its own.

``str.splitlines`` (and Ray's ``read_text``, which uses it) also breaks at
U+2028, U+2029, U+0085, \\v, \\f, \\x1c-\\x1e and a lone \\r. JSON allows all
but \\r raw inside a string, and ``json.dumps(..., ensure_ascii=False)`` writes
them so: splitting there cuts a record in two and shifts every later line
number. Decoding line by line lets one bad byte spoil one line, named by its
number, instead of the whole file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["Line", "split_lines", "read_lines", "decode_problem"]


@dataclass(frozen=True)
class Line:
    """One non-blank line: its 1-based number and text, or why it has no text."""

    number: int
    text: str | None
    problem: str | None = None  # set when text is None: the bytes are not UTF-8


def decode_problem(reason: str, byte: int) -> str:
    """A user's message for a line that is not UTF-8: the decoder's reason and the 1-based byte of the line."""
    return f"not UTF-8 ({reason} at byte {byte} of the line); save the file as UTF-8"


def split_lines(data: bytes) -> Iterator[Line]:
    """The non-blank lines of ``data``, split at b"\\n" only (a trailing \\r stays: JSON takes it as space)."""
    for n, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            yield Line(n, raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield Line(n, None, decode_problem(exc.reason, exc.start + 1))


def read_lines(path: str | Path) -> Iterator[Line]:
    """``split_lines`` of a file's bytes."""
    return split_lines(Path(path).read_bytes())
