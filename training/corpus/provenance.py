"""Source check for real-text slices: no run of 8 words of a source sentence survives.

Real reporting under a licence that does not allow redistribution enters the
corpus only transformed (names, numbers, dates and some content words
substituted, triggers and modality words kept). The annotator keeps the source
sentences beside the slice in a file that is never committed
(``data/real/orig/<slice>.orig``: ``D: doc-id`` lines, then one ``O: source
sentence`` line each), and this check compares the two::

    python -m training.corpus.provenance data/real/src/a.ann data/real/orig/a.orig

It reports every sentence of the slice that shares a run of ``n`` words
(lower-cased word tokens) with any source sentence of the file.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from training.corpus.annfile import compile_ann_file

__all__ = ["word_runs", "read_originals", "surviving_runs"]

_WORD = re.compile(r"\w+", re.UNICODE)


def word_runs(text: str, n: int = 8) -> set[tuple[str, ...]]:
    """Every run of ``n`` consecutive lower-cased words of ``text``.

    >>> sorted(word_runs("A b c", 2))
    [('a', 'b'), ('b', 'c')]
    """
    words = [w.lower() for w in _WORD.findall(text)]
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def read_originals(path: str | Path) -> dict[str, list[str]]:
    """Source sentences per document id from an ``.orig`` file."""
    docs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tag, _, body = line.partition(":")
        if tag.strip() == "D":
            current = docs.setdefault(body.strip(), [])
        elif tag.strip() == "O" and current is not None:
            current.append(body.strip())
        else:
            raise ValueError(f"{path}:{n}: expected 'D: doc-id' or 'O: source sentence' (after a D line)")
    return docs


def surviving_runs(sentences: list[tuple[str, str]], originals: list[str], n: int = 8) -> list[tuple[str, str]]:
    """``(sentence id, shared run)`` for each sentence that keeps a run of ``n`` source words."""
    source_runs: set[tuple[str, ...]] = set()
    for o in originals:
        source_runs |= word_runs(o, n)
    found = []
    for sid, text in sentences:
        shared = word_runs(text, n) & source_runs
        if shared:
            found.append((sid, " ".join(sorted(shared)[0])))
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ann", type=Path, help="the slice (.ann)")
    ap.add_argument("orig", type=Path, help="its source sentences (.orig)")
    ap.add_argument("-n", type=int, default=8, help="run length in words (default 8)")
    args = ap.parse_args(argv)
    sentences = compile_ann_file(args.ann)
    originals = read_originals(args.orig)
    missing = sorted({s.doc_id for s in sentences} - set(originals))
    found = surviving_runs([(s.id, s.text) for s in sentences], [o for v in originals.values() for o in v], args.n)
    for sid, run in found:
        print(f"{args.ann}: {sid}: keeps the source run {run!r}")
    for doc in missing:
        print(f"{args.orig}: no source sentences for document {doc!r}")
    print(f"{len(sentences)} sentences, {len(originals)} source documents: "
          f"{len(found)} sentence(s) keep a {args.n}-word source run, {len(missing)} document(s) without sources")
    return 1 if found or missing else 0


if __name__ == "__main__":
    sys.exit(main())
