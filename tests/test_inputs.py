"""Input checks and JSONL line splitting, without a model."""
import pytest

from inference.inputs import InputRecord, check_texts, parse_input_line, surrogate_problem
from inference.jsonl import Line, split_lines


def test_check_texts_takes_one_str_or_a_sequence():
    assert check_texts("a") == ["a"]
    assert check_texts(("a", "")) == ["a", ""]


def test_check_texts_names_the_text_and_character_of_a_lone_surrogate():
    # the other refusals are tested through the extractor (tests/test_extractor.py)
    with pytest.raises(ValueError, match=r"texts\[2\] has a lone surrogate U\+DFFF at character 7"):
        check_texts(["ok", "ok", "Rebels \udfff"])


def test_surrogate_problem_finds_lone_surrogates_only():
    assert surrogate_problem("Rebels \U0001F600 ambushed a convoy near Gaó") is None  # astral and accented: fine
    assert surrogate_problem("ab\ud83d").startswith("lone surrogate U+D83D at character 2")


def test_parse_line_reasons():
    assert parse_input_line('{"id": 3, "text": "x"}') == (InputRecord("3", "x", None), None, "3")
    assert parse_input_line("nope")[1].startswith("not valid JSON") and parse_input_line("nope")[2] == "nope"
    assert parse_input_line('{"id": "a"}')[1:] == ("text: missing or not a string", "a")
    assert parse_input_line('{"text": "x"}')[1] == "id: missing"  # Ray records need their own id
    record, reason, rid = parse_input_line('{"id": "s", "text": "Rebels \\ud800 ambushed"}')
    assert record is None and rid == "s" and reason.startswith("text: lone surrogate U+D800 at character 7")


def test_split_lines_at_newline_only():
    data = '{"text": "a\u2028b\u0085c\x1cd"}\r\n\n  \n{"text": "e"}'.encode("utf-8") + b"\n\xff{}\n"
    assert list(split_lines(data)) == [
        Line(1, '{"text": "a\u2028b\u0085c\x1cd"}\r'), Line(4, '{"text": "e"}'),
        Line(5, None, "not UTF-8 (invalid start byte at byte 1 of the line); save the file as UTF-8")]
