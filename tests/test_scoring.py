"""Hand-made gold/prediction pairs with known answers for every measure."""
import json

import pytest

from inference.records import Argument, Event, Sentence, Span
from inference.scoring import score

TEXT = "Rebels ambushed a convoy and troops fled, the army said."


def ev(type_, start, end, *args):
    return Event(type_, Span(start, end, TEXT[start:end]),
                 tuple(Argument(r, s, e, TEXT[s:e]) for r, s, e in args))


AMBUSH = ev("Ambush", 7, 15, ("Attacker", 0, 6), ("Target", 16, 24))
RETREAT = ev("Retreat", 36, 40, ("Agent", 29, 35))
STATEMENT = ev("Statement", 51, 55, ("Speaker", 42, 50))
GOLD = [Sentence("s1", TEXT, [AMBUSH, RETREAT, STATEMENT]), Sentence("s2", "Nothing.", [])]


def test_perfect_prediction():
    r = score(GOLD, GOLD)
    for k in ("tri_i", "tri_c", "arg_i", "arg_c"):
        assert r[k]["f1"] == 1.0
    assert r["sentence_types"]["micro_f1"] == 1.0


def test_wrong_type_right_offsets():
    pred = [Sentence("s1", TEXT, [ev("Coup", 7, 15, ("Agent", 0, 6)), RETREAT, STATEMENT]), GOLD[1]]
    r = score(GOLD, pred)
    assert r["tri_i"] == {"p": 1.0, "r": 1.0, "f1": 1.0, "tp": 3, "n_pred": 3, "n_gold": 3}
    assert (r["tri_c"]["tp"], r["tri_c"]["f1"]) == (2, pytest.approx(0.6667, abs=1e-4))
    # arguments of an event whose type is wrong do not match (Arg-I needs the event type)
    assert (r["arg_i"]["tp"], r["arg_i"]["n_pred"], r["arg_i"]["n_gold"]) == (2, 3, 4)
    assert r["per_type"]["Ambush"]["r"] == 0.0 and r["per_type"]["Retreat"]["f1"] == 1.0
    labels, m = r["confusion"]["labels"], r["confusion"]["matrix"]
    assert m[labels.index("Ambush")][labels.index("Coup")] == 1


def test_partial_overlap_counts_as_wrong():
    pred = [Sentence("s1", TEXT, [ev("Ambush", 7, 13, ("Attacker", 0, 6), ("Target", 18, 24))]), GOLD[1]]
    r = score(GOLD, pred)
    assert r["tri_i"]["tp"] == 0 and r["arg_i"]["tp"] == 0
    assert r["tri_c"]["n_pred"] == 1 and r["tri_c"]["n_gold"] == 3


def test_argument_role_confusion_only_hurts_arg_c():
    pred = [Sentence("s1", TEXT, [ev("Ambush", 7, 15, ("Target", 0, 6), ("Target", 16, 24)), RETREAT,
                                  STATEMENT]), GOLD[1]]
    r = score(GOLD, pred)
    assert r["arg_i"]["tp"] == 4 and r["arg_c"]["tp"] == 3
    assert r["per_role"]["Attacker"] == {"p": 0.0, "r": 0.0, "f1": 0.0, "tp": 0, "n_pred": 0, "n_gold": 1}
    assert r["per_role"]["Target"]["p"] == 0.5


def test_duplicates_are_matched_once():
    pred = [Sentence("s1", TEXT, [AMBUSH, AMBUSH]), GOLD[1]]
    r = score(GOLD, pred)
    assert (r["tri_c"]["tp"], r["tri_c"]["n_pred"]) == (1, 2)
    assert r["tri_c"]["p"] == 0.5 and r["tri_c"]["r"] == pytest.approx(1 / 3, abs=1e-4)
    assert (r["arg_c"]["tp"], r["arg_c"]["n_pred"], r["arg_c"]["n_gold"]) == (2, 4, 4)


def test_sentence_type_micro_and_macro():
    pred = [Sentence("s1", TEXT, [AMBUSH]), Sentence("s2", "Nothing.", [STATEMENT])]
    r = score(GOLD, pred, types=["Ambush", "Retreat", "Coup", "Statement"])
    st = r["sentence_types"]
    # gold sets: {A, R, S}, {}; predicted: {A}, {S} -> tp 1, fp 1, fn 2 -> micro F1 = 2/5
    assert st["micro_f1"] == 0.4
    # per type F1: Ambush 1, Retreat 0, Coup 0 (no support), Statement 0 -> macro 0.25
    assert st["macro_f1"] == 0.25


def test_missing_prediction_counts_as_nothing_and_is_reported():
    r = score(GOLD, [GOLD[1]])
    assert r["missing_predictions"] == ["s1"]
    assert r["tri_c"] == {"p": 0.0, "r": 0.0, "f1": 0.0, "tp": 0, "n_pred": 0, "n_gold": 3}


def test_prediction_id_not_in_gold_is_an_error():
    with pytest.raises(ValueError, match="not in gold"):
        score(GOLD, GOLD + [Sentence("zz", "x", [])])


def test_empty_files():
    r = score([], [])
    assert r["tri_c"]["f1"] == 0.0 and r["sentences"] == 0


def test_confusion_counts_missed_and_spurious_triggers():
    pred = [Sentence("s1", TEXT, [AMBUSH]), Sentence("s2", "Nothing.", [Event("Coup", Span(0, 7, "Nothing"))])]
    r = score(GOLD, pred, types=["Ambush", "Retreat", "Coup", "Statement"])
    labels, m = r["confusion"]["labels"], r["confusion"]["matrix"]
    none = labels.index("no event")
    assert m[labels.index("Retreat")][none] == 1 and m[labels.index("Statement")][none] == 1
    assert m[none][labels.index("Coup")] == 1 and m[labels.index("Ambush")][labels.index("Ambush")] == 1


def test_score_cli_writes_json(tmp_path):
    from typer.testing import CliRunner

    from inference.records import save_sentences
    from sitrep.cli import app

    gold, pred = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    save_sentences(gold, GOLD)
    save_sentences(pred, [Sentence("s1", TEXT, [AMBUSH]), GOLD[1]])
    res = CliRunner().invoke(app, ["score", str(gold), str(pred), "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["tri_c"]["r"] == pytest.approx(1 / 3, abs=1e-4)
    assert set(report) >= {"tri_i", "tri_c", "arg_i", "arg_c", "sentence_types", "per_type", "per_role", "confusion"}


def test_error_rows_are_the_unmatched_items_duplicates_included():
    from sitrep.evaluation import error_rows

    wrong_role = ev("Ambush", 7, 15, ("Target", 0, 6), ("Target", 16, 24))
    pred = [Sentence("s1", TEXT, [AMBUSH, AMBUSH, wrong_role, RETREAT]), GOLD[1]]
    rows = error_rows(GOLD, pred)
    r = score(GOLD, pred)
    kinds = [(row["kind"], row["level"]) for row in rows]
    # the duplicated Ambush is a false positive twice over (itself and wrong_role), as Tri-C counts it
    assert kinds.count(("FP", "trigger")) == r["tri_c"]["n_pred"] - r["tri_c"]["tp"] == 2
    assert kinds.count(("FN", "trigger")) == r["tri_c"]["n_gold"] - r["tri_c"]["tp"] == 1   # the Statement
    assert kinds.count(("FP", "argument")) == r["arg_c"]["n_pred"] - r["arg_c"]["tp"] == 4
    assert kinds.count(("FN", "argument")) == r["arg_c"]["n_gold"] - r["arg_c"]["tp"] == 1   # the Speaker
    assert {row["role"] for row in rows if row["kind"] == "FN" and row["level"] == "argument"} == {"Speaker"}
