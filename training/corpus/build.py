"""Build the corpus: compile every ``data/src/*.ann`` slice, validate, split by document.

Documents, never sentences, are assigned to splits, so no article is in two
splits. Within each slice, documents in file order go to train, dev and test
in the cycle ``train x6, dev, test`` (75% / 12.5% / 12.5%), which keeps every
region and type focus in every split.

``python -m training.corpus.build --check data/src/x.ann`` compiles and checks
one slice without writing anything.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.ontology import Ontology
from inference.records import Sentence, save_sentences
from inference.validation import record_problems
from training.corpus.annfile import AnnError, compile_ann_file
from training.corpus.stats import corpus_stats, format_stats
from training.corpus.templates import templated_share

__all__ = ["compile_slices", "split_by_document", "build_corpus"]

_CYCLE = ("train",) * 6 + ("dev", "test")


def compile_slices(paths: list[Path], ontology: Ontology) -> tuple[list[Sentence], list[str]]:
    """Compile and validate slices; return the sentences and every problem found."""
    sentences: list[Sentence] = []
    problems: list[str] = []
    seen_docs: dict[str, str] = {}
    for path in paths:
        try:
            slice_sents = compile_ann_file(path)
        except AnnError as exc:
            problems.append(str(exc))
            continue
        for s in slice_sents:
            if s.doc_id in seen_docs and seen_docs[s.doc_id] != str(path):
                problems.append(f"{path}: doc_id {s.doc_id!r} also used in {seen_docs[s.doc_id]}")
            seen_docs[s.doc_id] = str(path)
            problems.extend(f"{path}: {s.id}: {p}" for p in record_problems(s.to_dict(), ontology))
        sentences.extend(slice_sents)
    return sentences, problems


def split_by_document(sentences: list[Sentence]) -> dict[str, list[Sentence]]:
    """Assign whole documents to train/dev/test, cycling within each source slice."""
    splits: dict[str, list[Sentence]] = {"train": [], "dev": [], "test": []}
    doc_split: dict[str, str] = {}
    per_source_count: dict[str, int] = {}
    for s in sentences:
        if s.doc_id not in doc_split:
            src = s.extra.get("source", "")
            k = per_source_count.get(src, 0)
            doc_split[s.doc_id] = _CYCLE[k % len(_CYCLE)]
            per_source_count[src] = k + 1
        splits[doc_split[s.doc_id]].append(s)
    return splits


def build_corpus(src_dir: Path, out_dir: Path, ontology: Ontology) -> dict[str, list[Sentence]]:
    paths = sorted(src_dir.glob("*.ann"))
    if not paths:
        raise SystemExit(f"no .ann files in {src_dir}")
    sentences, problems = compile_slices(paths, ontology)
    if problems:
        raise SystemExit("\n".join(problems) + f"\n{len(problems)} problem(s); nothing written")
    splits = split_by_document(sentences)
    for name, sents in splits.items():
        save_sentences(out_dir / f"{name}.jsonl", sents)
    return splits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", nargs="+", type=Path, help="compile and check these .ann slices only; write nothing")
    ap.add_argument("--src", type=Path, default=Path("data/src"))
    ap.add_argument("--out", type=Path, default=Path("data"))
    ap.add_argument("--ontology", type=Path, default=Path("configs/ontology.yaml"))
    args = ap.parse_args(argv)
    ontology = Ontology.load(args.ontology)
    if args.check:
        sentences, problems = compile_slices(args.check, ontology)
        for p in problems:
            print(p)
        print(format_stats(", ".join(map(str, args.check)), corpus_stats(sentences)))
        share, runs = templated_share(s.text for s in sentences)
        print(f"  templated sentences: {share:.1%} (limit 5%)" + "".join(f"\n    {c}x: {r}" for r, c in runs[:10]))
        return 1 if problems else 0
    splits = build_corpus(args.src, args.out, ontology)
    for name, sents in splits.items():
        print(format_stats(name, corpus_stats(sents)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
