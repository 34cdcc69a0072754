"""Compile compact annotation files (``.ann``) into JSONL data lines.

Annotators never type offsets: they write the sentence, then each event as its
type, its trigger text and ``Role=span text`` pairs; this module finds the
spans and computes the offsets. The format, one item per line::

    # a comment
    D: sahel-001                      <- starts a document (its doc_id)
    U: https://en.wikinews.org/wiki/X <- optional: the document's source address (one line each)
    S: Gunmen ambushed a convoy near Gao on Monday, the army said.
    E: Ambush | ambushed | Attacker=Gunmen | Target=a convoy | Place=Gao | Time=Monday
    E: Statement | said | Speaker=the army | Message=Gunmen ambushed a convoy near Gao on Monday

A sentence with no ``E:`` line has no events. When a trigger or span text
occurs more than once in the sentence, ``text@2`` picks the second occurrence.
Occurrences are counted only where the text stands as whole words (not inside
a longer word), so ``said`` never matches inside ``unsaid``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from inference.records import Argument, Event, Sentence, Span

__all__ = ["AnnError", "parse_ann", "compile_ann_file", "find_span"]

_OCCURRENCE = re.compile(r"^(.*?)@(\d+)$", re.S)


class AnnError(ValueError):
    """A line of an ``.ann`` file that cannot be compiled, with file and line."""


def find_span(text: str, needle: str) -> tuple[int, int]:
    """Offsets of ``needle`` (optionally suffixed ``@N``) as whole words in ``text``.

    >>> find_span("he said it was said", "said@2")
    (15, 19)
    """
    m = _OCCURRENCE.match(needle)
    nth = 1
    if m and m.group(1):
        needle, nth = m.group(1), int(m.group(2))
    needle = needle.strip()
    if not needle:
        raise ValueError("empty span text")
    hits = []
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        before_ok = start == 0 or not (text[start - 1].isalnum() and needle[0].isalnum())
        after_ok = end == len(text) or not (text[end].isalnum() and needle[-1].isalnum())
        if before_ok and after_ok:
            hits.append((start, end))
        start = text.find(needle, start + 1)
    if not hits:
        raise ValueError(f"{needle!r} does not occur (as whole words) in the sentence")
    if nth > len(hits):
        raise ValueError(f"{needle!r} occurs {len(hits)} time(s), but occurrence @{nth} was asked for")
    if nth == 1 and len(hits) > 1 and not m:
        raise ValueError(f"{needle!r} occurs {len(hits)} times; add @1..@{len(hits)} to say which")
    return hits[nth - 1]


@dataclass
class _Doc:
    doc_id: str
    sentences: list[Sentence]
    urls: list[str]


def _parse_event(body: str, text: str) -> Event:
    parts = [p.strip() for p in body.split("|")]
    if len(parts) < 2:
        raise ValueError("an event line is 'E: Type | trigger | Role=span | ...'")
    etype, trig = parts[0], parts[1]
    ts, te = find_span(text, trig)
    args = []
    for p in parts[2:]:
        if not p:
            continue
        if "=" not in p:
            raise ValueError(f"argument {p!r} is not 'Role=span text'")
        role, span = p.split("=", 1)
        s, e = find_span(text, span)
        args.append(Argument(role.strip(), s, e, text[s:e]))
    return Event(etype, Span(ts, te, text[ts:te]), tuple(args))


def parse_ann(content: str, source: str = "<ann>") -> list[Sentence]:
    """Parse ``.ann`` text into sentences; raises ``AnnError`` with ``SOURCE:LINE``."""
    docs: list[_Doc] = []
    current: Sentence | None = None
    for n, raw in enumerate(content.splitlines(), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tag, _, body = line.partition(":")
        tag, body = tag.strip(), body.strip()
        try:
            if tag == "D":
                if not body:
                    raise ValueError("a document line needs an id: 'D: doc-id'")
                if any(d.doc_id == body for d in docs):
                    raise ValueError(f"doc_id {body!r} is used twice")
                docs.append(_Doc(body, [], []))
                current = None
            elif tag == "U":
                if not docs or docs[-1].sentences:
                    raise ValueError("a source line 'U: address' comes right after its 'D: doc-id' line")
                if not re.match(r"^https?://\S+$", body):
                    raise ValueError(f"{body!r} is not a web address (http:// or https://, no spaces)")
                docs[-1].urls.append(body)
            elif tag == "S":
                if not docs:
                    raise ValueError("a sentence comes before any 'D: doc-id' line")
                if not body:
                    raise ValueError("empty sentence")
                doc = docs[-1]
                current = Sentence(f"{doc.doc_id}-s{len(doc.sentences):02d}", body, [], doc.doc_id)
                if doc.urls:
                    current.extra["meta"] = {"urls": list(doc.urls)}
                doc.sentences.append(current)
            elif tag == "E":
                if current is None:
                    raise ValueError("an event line comes before any 'S:' sentence line")
                current.events.append(_parse_event(body, current.text))
            else:
                raise ValueError(f"unknown line tag {tag!r}; lines start with 'D:', 'U:', 'S:', 'E:' or '#'")
        except ValueError as exc:
            raise AnnError(f"{source}:{n}: {exc}") from None
    return [s for d in docs for s in d.sentences]


def compile_ann_file(path: str | Path) -> list[Sentence]:
    """Read and compile one ``.ann`` file; each sentence gets ``source`` = the file's stem."""
    path = Path(path)
    sentences = parse_ann(path.read_text(encoding="utf-8"), str(path))
    for s in sentences:
        s.extra["source"] = f"sitrep-corpus/{path.stem}"
    return sentences
