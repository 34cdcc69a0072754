"""The compact annotation compiler, the seed file, splits, overlap and template checks, GENEVA conversion."""
import pytest

from training.corpus.annfile import AnnError, find_span, parse_ann
from training.corpus.build import split_by_document
from training.corpus.overlap import cross_split_overlaps
from training.corpus.templates import mask_tokens, templated_share

ANN = """# comment
D: t-001
S: Gunmen ambushed a convoy near Gao on Monday, the army said, and the army left.
E: Ambush | ambushed | Attacker=Gunmen | Target=a convoy | Place=Gao | Time=Monday
E: Statement | said | Speaker=the army@1 | Message=Gunmen ambushed a convoy near Gao on Monday
E: Retreat | left | Agent=the army@2
S: Nothing happened.
"""


def test_compiler_computes_offsets():
    sents = parse_ann(ANN)
    assert [s.id for s in sents] == ["t-001-s00", "t-001-s01"]
    s = sents[0]
    for e in s.events:
        assert s.text[e.trigger.start:e.trigger.end] == e.trigger.text
        for a in e.arguments:
            assert s.text[a.start:a.end] == a.text
    agent = s.events[2].arguments[0]
    assert (agent.start, agent.text) == (s.text.index("the army left"), "the army")
    assert sents[1].events == []


def test_whole_word_matching():
    assert find_span("unsaid but said", "said") == (11, 15)


@pytest.mark.parametrize("content, message", [
    ("D: a\nS: He said it.\nE: Statement | told\n", "'told' does not occur"),
    ("D: a\nS: He said it, she said.\nE: Statement | said\n", "occurs 2 times; add @1..@2"),
    ("D: a\nS: He said it.\nE: Statement | said@3\n", "occurrence @3"),
    ("S: orphan\n", "before any 'D: doc-id'"),
    ("D: a\nX: what\n", "unknown line tag"),
    ("D: a\nS: He said it.\nE: Statement | said | Speaker He\n", "not 'Role=span text'"),
])
def test_compiler_errors_name_the_line(content, message):
    with pytest.raises(AnnError, match=message) as info:
        parse_ann(content, "x.ann")
    assert str(info.value).startswith("x.ann:")


def test_seed_file_has_the_eleven_triggers(seed_sentences, ontology, tmp_path):
    from inference.validation import check_file
    from tests.conftest import ROOT

    check = check_file(ROOT / "data" / "seed.jsonl", ontology)
    assert check.problems == [] and check.lines == 15
    triggers = sorted((e.type, e.trigger.text) for s in seed_sentences for e in s.events)
    assert triggers == sorted([
        ("Statement", "According to"), ("Ambush", "ambush"), ("Statement", "said"), ("Retreat", "retreating"),
        ("Statement", "claimed"), ("Retreat", "retreat"), ("Ambush", "ambush"), ("Coup", "coups"),
        ("Statement", "claimed"), ("Statement", "confirmed"), ("Statement", "claims")])


def test_build_raises_a_typed_error_and_the_cli_prints_it(tmp_path, ontology):
    from typer.testing import CliRunner

    from sitrep.cli import app
    from training.corpus.build import CorpusError, build_corpus

    with pytest.raises(CorpusError, match="no .ann files in"):
        build_corpus(tmp_path, tmp_path / "out", ontology)
    (tmp_path / "a.ann").write_text("D: a\nS: He said it.\nE: Statement | told\n")
    with pytest.raises(CorpusError, match="1 problem") as info:
        build_corpus(tmp_path, tmp_path / "out", ontology)
    assert "'told' does not occur" in info.value.problems[0] and not (tmp_path / "out").exists()
    res = CliRunner().invoke(app, ["data", "build", "--src", str(tmp_path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "'told' does not occur" in res.output and "nothing written" in res.output
    res = CliRunner().invoke(app, ["data", "check", str(tmp_path / "a.ann")])
    assert res.exit_code == 1 and "'told' does not occur" in res.output and "templated sentences" in res.output


def test_split_keeps_documents_whole():
    text = "".join(f"D: d{i}\nS: Sentence one of {i}.\nS: Sentence two of {i}.\n" for i in range(16))
    sents = parse_ann(text)
    for s in sents:
        s.extra["source"] = "x"
    splits = split_by_document(sents)
    assert {k: len(v) for k, v in splits.items()} == {"train": 24, "dev": 4, "test": 4}
    docs = {k: {s.doc_id for s in v} for k, v in splits.items()}
    assert not (docs["train"] & docs["dev"] or docs["train"] & docs["test"] or docs["dev"] & docs["test"])


def test_overlap_finds_near_duplicates_across_splits_only():
    a = "Rebels ambushed a military convoy near the town of Gao on Monday morning"
    b = "Rebels ambushed a military convoy near the town of Gao on Monday evening"
    found = cross_split_overlaps({"train": [("t1", a), ("t2", b)], "test": [("x1", b), ("x2", "Something else.")]})
    assert {(p.id_a, p.id_b) for p in found} == {("t1", "x1"), ("t2", "x1")}
    assert all(p.jaccard > 0.5 for p in found)


def test_template_check_flags_slot_filled_sentences():
    assert mask_tokens("Rebels ambushed 12 soldiers") == ["X", "ambushed", "X", "soldiers"]
    templated = [f"{n} said that the soldiers had been ambushed on the road near {p}." for n, p in
                 [("Ali", "Gao"), ("Bo", "Mopti"), ("Cy", "Kidal"), ("Di", "Ségou"), ("Ed", "Timbuktu")]]
    prose = ["The convoy never reached the river.", "A spokesman declined to comment on the losses."]
    share, runs = templated_share(templated + prose)
    assert share == pytest.approx(5 / 7) and runs
    assert templated_share(prose)[0] == 0.0


def test_geneva_detokenize_and_convert():
    from training.corpus.geneva import convert_record, detokenize

    text, spans = detokenize(["The", "army", "'", "s", "chief", "said", "``", "we", "left", "''", "."])
    assert text == "The army's chief said “we left”."
    rec = {"doc_id": "d", "wnd_id": "w", "tokens": ["The", "army", "said", "it", "won", "."],
           "entity_mentions": [{"id": "e1", "start": 0, "end": 2}, {"id": "e2", "start": 3, "end": 5}],
           "event_mentions": [
               {"event_type": "Statement", "trigger": {"start": 2, "end": 3, "text": "said"},
                "arguments": [{"entity_id": "e1", "role": "Speaker"}, {"entity_id": "e2", "role": "Message"},
                              {"entity_id": "e2", "role": "Medium"}]},
               {"event_type": "Attack", "trigger": {"start": 4, "end": 5, "text": "won"}, "arguments": []}]}
    sent, dropped = convert_record(rec)
    assert dropped == 1 and sent.text == "The army said it won."
    (ev,) = sent.events
    assert (ev.type, ev.trigger.text) == ("Statement", "said")
    assert [(a.role, a.text) for a in ev.arguments] == [("Speaker", "The army"), ("Message", "it won")]


def test_agreement_scores_second_pass_against_gold(tmp_path):
    from inference.records import Event, Sentence, Span, save_sentences
    from training.corpus.agreement import agreement

    gold = tmp_path / "gold.jsonl"
    save_sentences(gold, [Sentence("d-001-s03", "Troops fled Gao.", [Event("Retreat", Span(7, 11, "fled"))]),
                          Sentence("d-001-s04", "Rebels ambushed a convoy.", [])])
    second = tmp_path / "second.ann"
    second.write_text("D: d-001-s03\nS: Troops fled Gao.\nE: Retreat | fled | Agent=Troops\n"
                      "D: d-001-s04\nS: Rebels ambushed a convoy.\nE: Ambush | ambushed\n")
    report = agreement(second, gold, tmp_path)
    assert (report["tri_c"]["tp"], report["tri_c"]["n_pred"], report["tri_c"]["n_gold"]) == (1, 2, 1)
    assert (tmp_path / "first_pass.jsonl").is_file() and (tmp_path / "second_pass.jsonl").is_file()
