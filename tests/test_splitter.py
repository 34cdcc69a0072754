import pytest

from inference.splitter import split_sentences


def roundtrip(text):
    spans = split_sentences(text)
    rebuilt, pos = "", 0
    for s in spans:
        assert text[s.start:s.end] == s.text and s.text == s.text.strip() and s.start >= pos
        rebuilt += text[pos:s.start] + s.text
        pos = s.end
    assert rebuilt + text[pos:] == text
    return [s.text for s in spans]


@pytest.mark.parametrize("text, expected", [
    ("Lt. Col. Ahmed Diallo said the U.S. Army withdrew from Base No. 2 on Monday. Gen. Traoré denied it.",
     ["Lt. Col. Ahmed Diallo said the U.S. Army withdrew from Base No. 2 on Monday.", "Gen. Traoré denied it."]),
    ("“We will not retreat,” the commander said. Rebels then ambushed a convoy.",
     ["“We will not retreat,” the commander said.", "Rebels then ambushed a convoy."]),
    ("He arrived at 3 p.m. on Friday. Troops fell back.", ["He arrived at 3 p.m. on Friday.", "Troops fell back."]),
    ("Maj.-Gen. Ali told reporters: “It is over.” Then he left.",
     ["Maj.-Gen. Ali told reporters: “It is over.”", "Then he left."]),
    ("Headline Without Stop\nFirst line. Second line.\n\n", ["Headline Without Stop", "First line.", "Second line."]),
])
def test_abbreviations_quotes_and_lines(text, expected):
    assert roundtrip(text) == expected


def test_seed_article_splits_by_line():
    from tests.conftest import ROOT

    text = (ROOT / "seeds" / "000_e5aaf2822eefe5aa.txt").read_text(encoding="utf-8")
    sents = roundtrip(text)
    assert len(sents) == 15 and sents[11].startswith("During the retreat")


@pytest.mark.parametrize("text", ["", "   \n\t ", "😀 emoji. Кириллица тоже. 中文句子。", "a\x00b\x07c. Next one."])
def test_odd_input_never_loses_characters(text):
    roundtrip(text)
