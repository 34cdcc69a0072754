"""The one validator of the data contract: one test per kind of problem, each on a small file written here."""
import json

import pytest

from inference.validation import check_file

GOOD = {"id": "a", "text": "Rebels ambushed a convoy.", "events": [
    {"type": "Ambush", "trigger": {"start": 7, "end": 15, "text": "ambushed"},
     "arguments": [{"role": "Attacker", "start": 0, "end": 6, "text": "Rebels"}]}]}


def write(tmp_path, *records, raw=None):
    path = tmp_path / "data.jsonl"
    lines = [json.dumps(r) for r in records] + ([raw] if raw else [])
    path.write_text("\n".join(lines) + "\n")
    return path


def problems(tmp_path, ontology, *records, raw=None):
    return [str(p) for p in check_file(write(tmp_path, *records, raw=raw), ontology).problems]


def mutate(fn):
    rec = json.loads(json.dumps(GOOD))
    fn(rec)
    return rec


def test_clean_file(tmp_path, ontology):
    assert problems(tmp_path, ontology, GOOD) == []


def test_invalid_json_with_line_number(tmp_path, ontology):
    out = problems(tmp_path, ontology, GOOD, raw="{not json")
    assert len(out) == 1 and ":2: json: not valid JSON" in out[0]


@pytest.mark.parametrize("field", ["id", "text", "events"])
def test_missing_required_field(tmp_path, ontology, field):
    out = problems(tmp_path, ontology, mutate(lambda r: r.pop(field)))
    assert any(f": {field}: missing" in p for p in out)


def test_duplicate_id(tmp_path, ontology):
    out = problems(tmp_path, ontology, GOOD, GOOD)
    assert out == [f"{tmp_path / 'data.jsonl'}:2: id: 'a' already used on line 1"]


def test_trigger_text_mismatch(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"][0]["trigger"].update(text="ambush")))
    assert any("events[0].trigger.text: 'ambush' != text[7:15]" in p for p in out)


def test_argument_offsets_out_of_range(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"][0]["arguments"][0].update(end=99)))
    assert any("events[0].arguments[0]: offsets [0, 99)" in p for p in out)


def test_unknown_type(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"][0].update(type="Attack")))
    assert any("events[0].type: 'Attack' is not an event type" in p for p in out)


def test_unknown_role(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"][0]["arguments"][0].update(role="Weapon")))
    assert any("'Weapon' is not a role of the ontology" in p for p in out)


def test_role_not_allowed_for_type(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"][0]["arguments"][0].update(role="Speaker")))
    assert any("'Speaker' is not allowed for Ambush" in p for p in out)


def test_duplicate_event(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"].append(r["events"][0])))
    assert any("events[1]: duplicate event: Ambush" in p for p in out)


def test_bad_score(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r["events"][0].update(score=1.5)))
    assert any("events[0].score: 1.5 is not a number in 0..1" in p for p in out)


def test_all_problems_reported_in_one_run(tmp_path, ontology):
    bad = mutate(lambda r: (r["events"][0].update(type="Attack"), r["events"][0]["trigger"].update(text="x")))
    out = problems(tmp_path, ontology, bad, bad)
    assert len(out) >= 5  # type, trigger text (twice) and the duplicate id


def test_cli_exit_codes(tmp_path, ontology):
    from typer.testing import CliRunner

    from sitrep.cli import app

    good = write(tmp_path, GOOD)
    res = CliRunner().invoke(app, ["data", "validate", str(good)])
    assert res.exit_code == 0 and "ok: 1 records" in res.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(mutate(lambda r: r.pop("text"))) + "\n")
    res = CliRunner().invoke(app, ["data", "validate", str(bad)])
    assert res.exit_code == 1 and "bad.jsonl:1: text: missing" in res.output


def test_lone_surrogate_in_text(tmp_path, ontology):
    out = problems(tmp_path, ontology, mutate(lambda r: r.update(text=r["text"] + " \ud800")))
    assert any(": text: lone surrogate U+D800 at character 26" in p for p in out)


def test_invalid_utf8_names_the_line(tmp_path, ontology):
    path = write(tmp_path, GOOD)
    path.write_bytes(path.read_bytes() + b'{"id": "b", "text": "caf\xe9", "events": []}\n')
    assert [str(p) for p in check_file(path, ontology).problems] == [
        f"{path}:2: encoding: not UTF-8 (invalid continuation byte at byte 25 of the line); save the file as UTF-8"]


@pytest.mark.parametrize("change, first", [
    (lambda r: r.pop("events"), "events: missing or not a list"),
    (lambda r: r.update(id=""), "id: missing or not a non-empty string"),
    (lambda r: r["events"][0]["trigger"].update(start=-1), "events[0].trigger: offsets [-1, 15) are not"),
    (lambda r: r["events"][0]["arguments"][0].update(text="Rebel"), "events[0].arguments[0].text: 'Rebel' !="),
])
def test_from_dict_raises_the_validators_first_problem(change, first):
    from inference.records import RecordError, Sentence

    with pytest.raises(RecordError) as info:
        Sentence.from_dict(mutate(change))
    assert str(info.value).startswith(first)
    assert Sentence.from_dict(GOOD).events[0].arguments[0].text == "Rebels"


def test_load_sentences_refuses_a_file_with_every_problem(tmp_path, ontology):
    from inference.records import RecordError, load_sentences

    path = write(tmp_path, GOOD, mutate(lambda r: (r.update(id="b"), r["events"][0].update(type="Attack"))),
                 mutate(lambda r: r.update(id="c", text="x")))
    with pytest.raises(RecordError) as info:
        load_sentences(path, ontology)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}:2: events[0].type: 'Attack' is not an event type of the ontology " \
                       "(Ambush, Retreat, Coup, Statement)"
    assert lines[1].startswith(f"{path}:3: events[0].trigger: offsets [7, 15)")
    assert len(load_sentences(write(tmp_path, GOOD), ontology)) == 1
