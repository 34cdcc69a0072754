"""Compare sentence splitters on news abbreviations, quotes and the seed article.

    .venv/bin/python -m benchmarks.splitters

Prints, for each splitter that is installed (pysbd, blingfire), how many of
the reference cases it splits exactly right. The project splitter
(``inference.splitter``: pysbd + line breaks + lone-abbreviation repair) is
scored on the same cases.
"""
from __future__ import annotations

import re
from pathlib import Path

CASES: list[tuple[str, list[str]]] = [
    ("Lt. Col. Ahmed Diallo said the U.S. Army withdrew from Base No. 2 on Monday. Gen. Traoré denied it.",
     ["Lt. Col. Ahmed Diallo said the U.S. Army withdrew from Base No. 2 on Monday.", "Gen. Traoré denied it."]),
    ("“We will not retreat,” the commander said. “Never.” Rebels then ambushed a convoy.",
     ["“We will not retreat,” the commander said.", "“Never.”", "Rebels then ambushed a convoy."]),
    ("The U.S. and the U.K. condemned it. Officials said so.",
     ["The U.S. and the U.K. condemned it.", "Officials said so."]),
    ("He arrived at 3 p.m. on Friday. Troops fell back.", ["He arrived at 3 p.m. on Friday.", "Troops fell back."]),
    ("Maj.-Gen. Ali (ret.) told reporters: “It is over.” Then he left.",
     ["Maj.-Gen. Ali (ret.) told reporters: “It is over.”", "Then he left."]),
    ("Sgt. Maj. Oumar Koné of the 3rd Bn. was killed. Capt. Sy survived.",
     ["Sgt. Maj. Oumar Koné of the 3rd Bn. was killed.", "Capt. Sy survived."]),
]


def _pysbd(text: str) -> list[str]:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return [text[s.start:s.end].strip() for s in seg.segment(text) if text[s.start:s.end].strip()]


def _blingfire(text: str) -> list[str]:
    import blingfire

    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    return [text[a:b].strip() for a, b in offsets]


def _project(text: str) -> list[str]:
    from inference.splitter import split_sentences

    return [s.text for s in split_sentences(text)]


def main() -> None:
    seed = (Path(__file__).resolve().parents[1] / "seeds" / "000_e5aaf2822eefe5aa.txt").read_text(encoding="utf-8")
    seed_lines = [ln.strip() for ln in seed.splitlines() if ln.strip()]
    for name, fn in (("pysbd", _pysbd), ("blingfire", _blingfire), ("sitrep (pysbd + repairs)", _project)):
        try:
            right = [fn(text) == expected for text, expected in CASES]
            seed_ok = fn(seed) == seed_lines or fn(re.sub(r"\n", " ", seed)) == seed_lines
        except ImportError:
            print(f"{name}: not installed")
            continue
        wrong = [CASES[i][0][:40] for i, ok in enumerate(right) if not ok]
        print(f"{name}: {sum(right)}/{len(CASES)} cases right; seed article split by line: {seed_ok}"
              + (f"; wrong: {wrong}" if wrong else ""))


if __name__ == "__main__":
    main()
