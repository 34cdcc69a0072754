"""Inter-annotator agreement: a second, independent pass over sentences, scored against the first.

The second pass is an ``.ann`` file where each sentence is its own document
named by the sentence's id (``D: <id>`` then ``S: <text>``), as
``data/agreement/texts.ann`` hands it out. The first pass is taken from a gold
JSONL file by id; both are scored with the project's scorer, first as gold.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from inference.records import Sentence, load_sentences, save_sentences
from inference.scoring import score
from training.corpus.annfile import compile_ann_file

__all__ = ["agreement"]


def agreement(second_ann: Path, gold: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``first_pass.jsonl`` and ``second_pass.jsonl`` to ``out_dir`` and return the scores."""
    by_id = {s.id: s for s in load_sentences(gold)}
    second = []
    for s in compile_ann_file(second_ann):
        sid = s.id.rsplit("-s", 1)[0]  # each sentence is its own document: "<id>-s00"
        if sid not in by_id:
            raise ValueError(f"{second_ann}: sentence id {sid!r} is not in {gold}")
        if by_id[sid].text != s.text:
            raise ValueError(f"{second_ann}: the text of {sid!r} differs from {gold}")
        second.append(Sentence(sid, s.text, s.events))
    first = [Sentence(s.id, s.text, by_id[s.id].events) for s in second]
    save_sentences(out_dir / "first_pass.jsonl", first)
    save_sentences(out_dir / "second_pass.jsonl", second)
    return score(first, second)
