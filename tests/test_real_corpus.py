"""Real-text corpus tools: source lines, the source check and the eval/train split."""
from pathlib import Path

import pytest

from inference.ontology import Ontology
from inference.records import load_sentences
from training.corpus.annfile import AnnError, parse_ann
from training.corpus.provenance import read_originals, surviving_runs
from training.corpus.build import CorpusError
from training.corpus.real import build_real_corpus

ONTOLOGY = Ontology.load("configs/ontology.yaml")


def _doc(doc_id: str, url: str | None, n: int = 1) -> str:
    lines = [f"D: {doc_id}"] + ([f"U: {url}"] if url else [])
    for i in range(n):
        lines += [f"S: Gunmen ambushed a patrol near Kuldara {i}, the army said.",
                  "E: Ambush | ambushed | Attacker=Gunmen | Target=a patrol"]
    return "\n".join(lines) + "\n"


def test_source_lines_become_meta_and_must_follow_their_document_line():
    (s,) = parse_ann(_doc("d1", "https://example.org/a"))
    assert s.to_dict()["meta"] == {"urls": ["https://example.org/a"]}
    with pytest.raises(AnnError, match=r"<ann>:3: a source line"):
        parse_ann("D: d1\nS: Troops withdrew.\nU: https://example.org/a\n")
    with pytest.raises(AnnError, match="not a web address"):
        parse_ann("D: d1\nU: example dot org\n")


def test_surviving_runs_finds_an_eight_word_run_and_nothing_shorter():
    source = ["Rebels ambushed an army patrol near the town of Gao on Monday, officials said."]
    kept = "Fighters ambushed an army patrol near the town of Gao on Friday, a source said."
    changed = "Fighters ambushed an army unit near the city of Kidal on Friday, a source said."
    found = surviving_runs([("a", kept), ("b", changed)], source)
    assert [sid for sid, _ in found] == ["a"]
    assert found[0][1] == "ambushed an army patrol near the town of"


def test_read_originals_names_the_bad_line(tmp_path: Path):
    orig = tmp_path / "x.orig"
    orig.write_text("D: d1\nO: one\nO: two\nX: three\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x.orig:4:"):
        read_originals(orig)
    orig.write_text("D: d1\nO: one\nO: two\n", encoding="utf-8")
    assert read_originals(orig) == {"d1": ["one", "two"]}


def test_eval_documents_alternate_dev_test_and_train_stays_train(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "x-eval.ann").write_text("".join(_doc(f"e{i}", f"https://example.org/e{i}", 2) for i in range(4)))
    (src / "x-train.ann").write_text(_doc("t1", "https://example.org/t1", 3))
    splits = build_real_corpus(src, tmp_path / "out", ONTOLOGY)
    assert {k: sorted({s.doc_id for s in v}) for k, v in splits.items()} == {
        "train": ["t1"], "dev": ["e0", "e2"], "test": ["e1", "e3"]}
    assert len(load_sentences(tmp_path / "out" / "test.jsonl")) == 4
    sources = (tmp_path / "out" / "SOURCES.md").read_text()
    assert "| e1 | test | 2 | https://example.org/e1 |" in sources


def test_missing_or_shared_sources_are_refused_and_nothing_is_written(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "x-eval.ann").write_text(_doc("e1", None) + _doc("e2", "https://example.org/a"))
    (src / "x-train.ann").write_text(_doc("t1", "https://example.org/a"))
    with pytest.raises(CorpusError) as err:
        build_real_corpus(src, tmp_path / "out", ONTOLOGY)
    problems = "\n".join(err.value.problems)
    assert "'e1' has no source address" in problems
    assert "https://example.org/a serves 2 documents (e2, t1)" in problems
    assert not (tmp_path / "out").exists()
    (src / "y.ann").write_text(_doc("y1", "https://example.org/y"))
    with pytest.raises(CorpusError, match="named <slice>-eval.ann or <slice>-train.ann"):
        build_real_corpus(src, tmp_path / "out", ONTOLOGY)
