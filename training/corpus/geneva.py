"""Convert GENEVA (Parekh et al., ACL 2023; CC BY 3.0, built on FrameNet) to the sitrep format.

GENEVA annotates 115 FrameNet frames over PTB-tokenized text. We rebuild
readable text with exact character offsets (``detokenize``) and keep only the
frames that our guidelines count as one of our types, with their roles mapped:

* speech frames -> Statement: Statement, Telling, Reveal_secret, speech-act
  verbs of Communication, Judgment_communication (accused, blamed ...) and
  Request (urged, demanded ...). Plain nouns ("allegations", "a statement")
  are left out, as docs/ANNOTATION.md section 3.6 says.
* Change_of_leadership -> Coup only for seizure words (coup, overthrew,
  toppled, deposed, ousted ...); elections and revolutions are not Coups.
* Attack -> Ambush only for the word "ambush"; Removing -> Retreat only for
  withdraw/retreat words.

Every other frame is dropped; a sentence left with no event is kept as a
no-event sentence (real text the model must read without firing).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inference.records import Argument, Event, Sentence, Span

__all__ = ["detokenize", "convert_record", "convert_file", "FRAME_MAP"]

_STATEMENT_NOUNS = {"allegation", "allegations", "statement", "statements", "announcement", "announcements",
                    "declaration", "declarations", "report", "claim", "proposal", "remarks", "comment", "comments",
                    "assurances", "disclosure", "revelation", "revelations", "criticism", "critics", "critic",
                    "charges", "request", "requests", "demands", "demand", "call", "calls"}

# frame -> (our type, role map, allowed triggers (lower-case) or None for any non-noun trigger)
FRAME_MAP: dict[str, tuple[str, dict[str, str], set[str] | None]] = {
    "Statement": ("Statement", {"Speaker": "Speaker", "Message": "Message", "Addressee": "Addressee",
                                "Time": "Time"}, None),
    "Telling": ("Statement", {"Speaker": "Speaker", "Message": "Message", "Addressee": "Addressee",
                              "Time": "Time"}, {"told", "tell", "tells", "informed", "informing", "notified",
                                                "advised", "assure", "assured"}),
    "Reveal_secret": ("Statement", {"Speaker": "Speaker", "Information": "Message", "Time": "Time"},
                      {"revealed", "admit", "admits", "admitted", "disclosed", "discloses", "confess", "reveal"}),
    "Communication": ("Statement", {"Speaker": "Speaker", "Message": "Message", "Addressee": "Addressee",
                                    "Time": "Time"}, {"said", "acknowledged", "indicated", "communicated"}),
    "Judgment_communication": ("Statement", {"Communicator": "Speaker", "Addressee": "Addressee", "Time": "Time"},
                               {"accused", "accuse", "accuses", "criticized", "criticize", "decried", "blames",
                                "blamed", "charged", "condemned"}),
    "Request": ("Statement", {"Speaker": "Speaker", "Message": "Message", "Addressee": "Addressee"},
                {"urged", "demanded", "asked", "requested", "appealed"}),
    "Change_of_leadership": ("Coup", {"Selector": "Agent", "Old_leader": "Target", "Old_order": "Target",
                                      "Time": "Time", "Place": "Place"},
                             {"coup", "coups", "putsch", "overthrow", "overthrew", "overthrown", "toppled", "topple",
                              "deposed", "ousted", "oust"}),
    "Attack": ("Ambush", {"Assailant": "Attacker", "Victim": "Target", "Time": "Time", "Place": "Place"},
               {"ambush", "ambushed", "ambushes"}),
    "Removing": ("Retreat", {"Theme": "Agent", "Source": "Origin", "Goal": "Destination", "Time": "Time"},
                 {"withdrew", "withdraw", "withdraws", "withdrawal", "withdrawing", "retreat", "retreated"}),
}

_NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", "%", ")", "]", "}", "''", "n't", "'s", "'re", "'ve", "'ll", "'d",
                    "'m", "-", "/", "...", "-RRB-", "-RSB-"}
_NO_SPACE_AFTER = {"(", "[", "{", "``", "$", "-", "/", "-LRB-", "-LSB-", "#"}
_REPLACE = {"``": "“", "''": "”", "-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{",
            "-RCB-": "}"}


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Readable text from PTB tokens, with each token's character span in it.

    >>> detokenize(["the", "Army", "'", "s", "``", "new", "''", "plan", "."])[0]
    "the Army's “new” plan."
    """
    text = ""
    spans = []
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else ""
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        out = _REPLACE.get(tok, tok)
        # GENEVA sometimes splits `` and '' into two tokens: the pair becomes one curly quote
        if tok in ("`", "'") and nxt == tok:
            out = "“" if tok == "`" else "”"
        elif tok in ("`", "'") and prev == tok and (i < 2 or tokens[i - 2] != tok):
            out = ""
        glue = (i == 0 or tok in _NO_SPACE_BEFORE or prev in _NO_SPACE_AFTER or out == ""
                or (tok == "'" and nxt == "'") or prev == "`"
                or (prev == "'" and tok.lower() == "s")
                or (tok == "'" and nxt.lower() == "s"))
        if not glue:
            text += " "
        spans.append((len(text), len(text) + len(out)))
        text += out
    return text, spans


def _span(text: str, tok_spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    if not 0 <= start < end <= len(tok_spans):
        return None
    s, e = tok_spans[start][0], tok_spans[end - 1][1]
    return (s, e) if s < e else None


def convert_record(rec: dict[str, Any]) -> tuple[Sentence, int]:
    """One GENEVA sentence in our format, and how many of its events were dropped."""
    text, tok_spans = detokenize(rec["tokens"])
    entities = {m["id"]: m for m in rec.get("entity_mentions", [])}
    events, dropped = [], 0
    for em in rec.get("event_mentions", []):
        rule = FRAME_MAP.get(em["event_type"])
        trig_word = em["trigger"]["text"].lower()
        if rule is None or trig_word in _STATEMENT_NOUNS or (rule[2] is not None and trig_word not in rule[2]):
            dropped += 1
            continue
        etype, roles, _ = rule
        ts = _span(text, tok_spans, em["trigger"]["start"], em["trigger"]["end"])
        if ts is None:
            dropped += 1
            continue
        args, seen = [], set()
        for a in em.get("arguments", []):
            role = roles.get(a["role"])
            ent = entities.get(a.get("entity_id"))
            if role is None or ent is None:
                continue
            sp = _span(text, tok_spans, ent["start"], ent["end"])
            if sp is None or (role, sp) in seen or (sp[0] < ts[1] and sp[1] > ts[0]):
                continue
            seen.add((role, sp))
            args.append(Argument(role, sp[0], sp[1], text[sp[0]:sp[1]]))
        event = Event(etype, Span(ts[0], ts[1], text[ts[0]:ts[1]]), tuple(args))
        if all((e.type, e.trigger) != (event.type, event.trigger) for e in events):
            events.append(event)
    sent = Sentence(f"geneva-{rec['wnd_id']}", text, events, f"geneva-{rec['doc_id']}",
                    {"source": "GENEVA (CC BY 3.0, Parekh et al. 2023)"})
    return sent, dropped


def convert_file(path: str | Path) -> list[Sentence]:
    """Convert every line of a GENEVA JSONL file; ids made unique if GENEVA repeats one."""
    out, seen = [], set()
    with Path(path).open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            sent, _ = convert_record(json.loads(line))
            base, k = sent.id, 1
            while sent.id in seen:
                k += 1
                sent.id = f"{base}-{k}"
            seen.add(sent.id)
            out.append(sent)
    return out
