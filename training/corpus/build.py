"""Build the corpus: compile every ``data/src/*.ann`` slice, validate, split by document.

Documents, never sentences, are assigned to splits, so no article is in two
splits. Within each slice, documents in file order go to train, dev and test
in the cycle ``train x6, dev, test`` (75% / 12.5% / 12.5%), which keeps every
region and type focus in every split.

``sitrep data build`` runs it; ``sitrep data check SLICE.ann`` compiles and
checks slices without writing anything.
"""
from __future__ import annotations

from pathlib import Path

from inference.ontology import Ontology
from inference.records import Sentence, save_sentences
from inference.validation import record_problems
from training.corpus.annfile import AnnError, compile_ann_file

__all__ = ["CorpusError", "compile_slices", "split_by_document", "build_corpus"]

_CYCLE = ("train",) * 6 + ("dev", "test")


class CorpusError(ValueError):
    """The corpus cannot be built: no slices, or problems in them (each one in ``problems``)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


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
    """Compile every slice of ``src_dir``, write the splits to ``out_dir`` and return them.

    Raises ``CorpusError`` (nothing written) when there is no slice or any slice has a problem.
    """
    paths = sorted(src_dir.glob("*.ann"))
    if not paths:
        raise CorpusError(f"no .ann files in {src_dir}")
    sentences, problems = compile_slices(paths, ontology)
    if problems:
        raise CorpusError(f"{len(problems)} problem(s) in the slices of {src_dir}; nothing written", problems)
    splits = split_by_document(sentences)
    for name, sents in splits.items():
        save_sentences(out_dir / f"{name}.jsonl", sents)
    return splits
