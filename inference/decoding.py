"""From per-word label predictions to events with character offsets: pure functions.

Nothing here touches torch; tests drive it with hand-made arrays. ``BatchDecoder``
turns one batch of windows and the label probabilities a runner computed for
them into events, in the two steps a runner needs: triggers first (they choose
what the argument head reads), then each trigger's arguments.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Sequence

import numpy as np

from inference.features import Window
from inference.labels import LabelSet, bio_to_spans, bio_transitions, viterbi_bio
from inference.records import Argument, Event, Span

__all__ = ["DecodedTrigger", "BatchTrigger", "BatchDecoder", "best_tags", "best_tags_many", "decode_triggers",
           "decode_arguments", "char_span", "trim_punctuation", "join_attached_phrases", "merge_same_occurrence",
           "drop_unrealized", "complete_quotes", "make_event"]

# Edge punctuation of predicted argument spans (docs/ANNOTATION.md section 4). Periods are never removed:
# "the U.S." ends with one.
_SEPARATORS = {",", ";", ":", "—", "–", "-"}
_CLOSER = {"“": "”", "‘": "’", "«": "»", "(": ")", "[": "]", '"': '"', "'": "'"}   # opener -> closer
_OPENER = {c: o for o, c in _CLOSER.items()}
_ONLY_CLOSERS = set(_OPENER) - set(_CLOSER)   # a span never starts with these
_ONLY_OPENERS = set(_CLOSER) - set(_OPENER)   # nor ends with these


class DecodedTrigger(tuple):
    """``(first_word, last_word_exclusive, type, score)`` of one predicted trigger in a window."""

    __slots__ = ()

    def __new__(cls, first: int, last: int, type_: str, score: float):
        return super().__new__(cls, (first, last, type_, score))

    first = property(lambda self: self[0])
    last = property(lambda self: self[1])
    type = property(lambda self: self[2])
    score = property(lambda self: self[3])


def best_tags(probs: np.ndarray, labels: np.ndarray, follow: np.ndarray, start: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Well-formed BIO tags (constrained Viterbi) for per-word label probabilities, and each tag's probability.

    When the per-word argmax is already well formed it is the constrained
    optimum too, so the Viterbi pass runs only for the rare ill-formed case.
    """
    return best_tags_many([probs], labels, follow, start)[0]


def best_tags_many(rows: Sequence[np.ndarray], labels: np.ndarray, follow: np.ndarray, start: np.ndarray
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``best_tags`` of each ``[words, labels]`` array, with one Viterbi pass for all the ill-formed ones.

    Shorter sequences are padded at the end with a label that may follow any
    label, at probability 1: the padded best path is the best path plus padding.
    """
    paths = [r.argmax(-1) for r in rows]
    bad = [i for i, p in enumerate(paths) if len(p) and (not start[p[0]] or not follow[p[:-1], p[1:]].all())]
    if bad:
        pad_label = int(np.flatnonzero(follow.all(0))[0])
        width = max(len(paths[i]) for i in bad)
        padded = np.zeros((len(bad), width, len(labels)), dtype=rows[bad[0]].dtype)
        padded[:, :, pad_label] = 1.0
        for k, i in enumerate(bad):
            padded[k, :len(rows[i])] = rows[i]
        for k, path in zip(bad, viterbi_bio(padded, follow, start)):
            paths[k] = path[:len(rows[k])]
    return [(labels[p], r[np.arange(len(p)), p]) for r, p in zip(rows, paths)]


def char_span(text: str, word_spans: Sequence[tuple[int, int]], first: int, last: int) -> Span:
    """The character span covering words ``[first, last)``."""
    start, end = word_spans[first][0], word_spans[last - 1][1]
    return Span(start, end, text[start:end])


def trim_punctuation(text: str, word_spans: Sequence[tuple[int, int]], first: int, last: int
                     ) -> tuple[int, int] | None:
    """Words ``[first, last)`` without edge punctuation that belongs outside the span; None if nothing is left.

    The model tags words, and the tokenizer makes each quote mark and comma a
    word, so a predicted span can begin at an opening quote or end at a comma.
    Removed: commas, colons, semicolons and dashes at either edge; quote marks and
    brackets at an edge whose partner is not in the span; a pair of them around
    the whole span (a quoted Message is the words inside the quotes).

    >>> trim_punctuation("“We left,” he said", [(0, 1), (1, 3), (4, 8), (8, 9), (9, 10)], 0, 5)
    (1, 3)
    >>> trim_punctuation("a “b” c", [(0, 1), (2, 3), (3, 4), (4, 5), (6, 7)], 0, 4)
    (0, 4)
    >>> trim_punctuation("“", [(0, 1)], 0, 1) is None
    True
    >>> trim_punctuation("” b (", [(0, 1), (2, 3), (4, 5)], 0, 3)
    (1, 2)
    """
    words = [text[s:e] for s, e in word_spans[first:last]]
    while words:
        head, tail = words[0], words[-1]
        if head in _SEPARATORS:
            words, first = words[1:], first + 1
        elif tail in _SEPARATORS:
            words, last = words[:-1], last - 1
        elif len(words) > 1 and _CLOSER.get(head) == tail:
            words, first, last = words[1:-1], first + 1, last - 1
        elif (head in _CLOSER and not _paired(words, head, _CLOSER[head])) or head in _ONLY_CLOSERS:
            words, first = words[1:], first + 1
        elif (tail in _OPENER and not _paired(words, _OPENER[tail], tail)) or tail in _ONLY_OPENERS:
            words, last = words[:-1], last - 1
        else:
            break
    return (first, last) if words else None


def complete_quotes(text: str, word_spans: Sequence[tuple[int, int]], first: int, last: int) -> tuple[int, int]:
    """Words ``[first, last)`` with the partner of a quote mark or bracket they leave open, where it is the next
    word out: the tagger stops a span one word short of its closing quote ('a "regrouping' + '"').

    >>> complete_quotes('a "regrouping" now', [(0, 1), (2, 3), (3, 13), (13, 14), (15, 18)], 0, 3)
    (0, 4)
    >>> complete_quotes('“Go” he said', [(0, 1), (1, 3), (3, 4), (5, 7)], 1, 3)
    (0, 3)
    """
    words = [text[s:e] for s, e in word_spans[first:last]]
    if last < len(word_spans):
        after = text[slice(*word_spans[last])]
        if after in _OPENER and not _paired(words, _OPENER[after], after) and _OPENER[after] in words:
            last += 1
    if first > 0:
        before = text[slice(*word_spans[first - 1])]
        if before in _CLOSER and not _paired(words, before, _CLOSER[before]) and _CLOSER[before] in words:
            first -= 1
    return first, last


def _paired(words: list[str], opener: str, closer: str) -> bool:
    """Whether the span's quote marks or brackets of this kind balance (symmetric quotes: an even count)."""
    if opener == closer:
        return words.count(opener) % 2 == 0
    return words.count(opener) == words.count(closer)


def decode_triggers(tags: Sequence[str], probs: Sequence[float], owned: tuple[int, int]) -> list[DecodedTrigger]:
    """Trigger spans from word tags, kept only where the window owns their first word.

    >>> decode_triggers(["O", "B-Coup", "O"], [0.9, 0.8, 0.9], (0, 3))
    [(1, 2, 'Coup', 0.8)]
    """
    return [DecodedTrigger(a, b, t, s) for a, b, t, s in bio_to_spans(tags, probs) if owned[0] <= a < owned[1]]


# Words that attach a phrase to the noun before them: "village in X", "troops from X", "the frontier with X".
_ATTACHING = {"of", "from", "in", "at", "near", "with", "on", "for", "to", "into", "outside", "inside", "along",
              "across", "around", "between", "within", "under", "over", "off", "towards", "toward", "by"}


def join_attached_phrases(text: str, word_spans: Sequence[tuple[int, int]],
                          spans: list[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Join two spans of one role that a preposition attaches: one noun phrase the tagger cut in two.

    ``spans`` are ``(first_word, last_word_exclusive, role, score)`` in word
    order. "Kirenowa village in" + "Marte district" and "troops" + (from) "the
    Guard" become one span each (docs/ANNOTATION.md: the whole noun phrase with its
    attached phrases), and so do two parts of one written word ("CSP" + "PSD" of
    "CSP-PSD"); coordinated participants ("X and Y") stay apart.

    >>> join_attached_phrases("troops from the Guard", [(0, 6), (7, 11), (12, 15), (16, 21)],
    ...                       [(0, 1, "Agent", 0.9), (2, 4, "Agent", 0.7)])
    [(0, 4, 'Agent', 0.7)]
    """
    def word(i: int) -> str:
        return text[word_spans[i][0]:word_spans[i][1]].lower()

    out: list[tuple[int, int, str, float]] = []
    for span in spans:
        if out:
            a, b, role, score = out[-1]
            gap = span[0] - b
            attached = (gap == 0 and word(b - 1) in _ATTACHING) or (gap == 1 and word(b) in _ATTACHING)
            # no whitespace between them: the tagger cut one written word ("CSP" "-" "PSD")
            one_word = not any(c.isspace() for c in text[word_spans[b - 1][1]:word_spans[span[0]][0]])
            if role == span[2] and (attached or one_word):
                out[-1] = (a, span[1], role, min(score, span[3]))
                continue
        out.append(span)
    return out


def decode_arguments(text: str, word_spans: Sequence[tuple[int, int]], tags: Sequence[str],
                     probs: Sequence[float], trigger: tuple[int, int], min_score: float = 0.0) -> list[Argument]:
    """Argument spans from word role tags; a span overlapping its own trigger is dropped.

    >>> decode_arguments("Rebels fled Gao", [(0, 6), (7, 11), (12, 15)], ["B-Agent", "O", "B-Origin"],
    ...                  [0.9, 0.9, 0.7], (1, 2))
    [Argument(role='Agent', start=0, end=6, text='Rebels', score=0.9), Argument(role='Origin', start=12, end=15, text='Gao', score=0.7)]
    """
    out = []
    for a, b, role, score in join_attached_phrases(text, word_spans, bio_to_spans(tags, probs)):
        if a < trigger[1] and b > trigger[0]:
            continue
        if score < min_score:
            continue
        trimmed = trim_punctuation(text, word_spans, *complete_quotes(text, word_spans, a, b))
        if trimmed is None:
            continue
        span = char_span(text, word_spans, *trimmed)
        out.append(Argument(role, span.start, span.end, span.text, score))
    return out


def make_event(text: str, word_spans: Sequence[tuple[int, int]], trig: DecodedTrigger,
               arguments: list[Argument]) -> Event:
    """An ``Event`` from a decoded trigger and its decoded arguments."""
    return Event(trig.type, char_span(text, word_spans, trig.first, trig.last), tuple(arguments), trig.score)


# "<verb trigger> ... in a (swift) <noun trigger>": the noun names the same occurrence as the verb
# (docs/ANNOTATION.md section 3, rule 7). The gap holds no clause break and at most 12 words.
_SAME_OCCURRENCE_GAP = re.compile(r"^\s(?:[^,;.!?:]*\s)?(?:in|through|via|with|by)\s+(?:a|an|the|what)\b[^,;.!?:]*\s$")
# "<noun trigger> that/when ... <verb trigger>": a relative clause describes the occurrence the noun names
# ("the July coup when soldiers overthrew the president"); the guide annotates the noun alone
_RELATIVE_CLAUSE_GAP = re.compile(r"^\s(?:that|which|when|in which|where)\b[^,;.!?:]*\s$")

# What precedes a trigger when the event did not happen (docs/ANNOTATION.md section 3, rule 2): negation,
# a modal verb, or a plan, plot, order, threat or vow ("plotting to seize", "planning a coup", "had not
# retreated", "will withdraw"). Modal verbs only in lower case: "the May coup". No gold trigger of our
# data (about 12,000 sentences) follows one of these.
_UNREALIZED_CUE = re.compile(
    r"(?i:\b(?:not|never|no longer)\s+(?:\w+\s+)?|n't\s+(?:\w+\s+)?"
    r"|\b(?:plotting|plotted|plots?|planning|planned|plans?|conspiring|conspired|vow(?:ed|ing|s)?"
    r"|threaten(?:ed|ing|s)?|ordered|orders|considering|considered|intends?|intended|intending)\s+"
    r"(?:(?:a|an)\s+(?:\w+\s+)?(?:coup|putsch)\s+)?(?:to\s+|(?:a|an)\s+(?:\w+\s+)?)|\b(?:considering|contemplating)\s+)$"
    r"|\b(?:will|would|could|might|may|shall|should|must|cannot|can't|won't)\s+(?:\w+\s+)?$")


def drop_unrealized(text: str, events: list[Event]) -> list[Event]:
    """``events`` without those whose trigger follows a cue that the event did not happen.

    >>> t = "Officers were arrested for plotting to seize power; troops will withdraw."
    >>> e = [Event("Coup", Span(39, 50, "seize power"), (), 0.9), Event("Retreat", Span(64, 72, "withdraw"), (), 0.9)]
    >>> drop_unrealized(t, e)
    []
    >>> t = "After the May coup, troops withdrew."
    >>> [e.trigger.text for e in drop_unrealized(t, [Event("Coup", Span(14, 18, "coup"), (), 0.9)])]
    ['coup']
    """
    return [e for e in events if not _UNREALIZED_CUE.search(text[max(0, e.trigger.start - 80):e.trigger.start])]


def merge_same_occurrence(text: str, events: list[Event], types: Sequence[str] = ("Coup",)) -> list[Event]:
    """Merge two events of one of ``types`` that name the same occurrence: "seized power in a swift coup",
    "the coup that toppled the president".

    The noun trigger (the more specific word for a Coup) is kept, with the
    arguments of both and the higher score. Only Coups by default: for
    a Statement the guide keeps the verb ("said in a statement"), for an Ambush
    the word "ambush", and the model rarely tags the other word of those pairs.

    >>> t = "Soldiers seized power in a swift coup on Monday."
    >>> a = Event("Coup", Span(9, 21, "seized power"), (Argument("Agent", 0, 8, "Soldiers", 0.9),), 0.8)
    >>> b = Event("Coup", Span(33, 37, "coup"), (Argument("Time", 41, 47, "Monday", 0.7),), 0.6)
    >>> [(e.trigger.text, [x.role for x in e.arguments], e.score) for e in merge_same_occurrence(t, [a, b])]
    [('coup', ['Time', 'Agent'], 0.8)]
    >>> t = "The coup that toppled Keita failed."
    >>> a, b = Event("Coup", Span(4, 8, "coup"), (), 0.9), Event("Coup", Span(14, 21, "toppled"), (), 0.7)
    >>> [e.trigger.text for e in merge_same_occurrence(t, [a, b])]
    ['coup']
    """
    events = sorted(events, key=lambda e: e.trigger.start)
    merged: list[Event] = []
    for event in events:
        prev = next((m for m in reversed(merged) if m.type == event.type), None) if event.type in types else None
        gap = text[prev.trigger.end:event.trigger.start] if prev else ""
        if prev is None or len(gap.split()) > 12:
            merged.append(event)
        elif _SAME_OCCURRENCE_GAP.match(gap):
            merged[merged.index(prev)] = _merged(event, prev)
        elif _RELATIVE_CLAUSE_GAP.match(gap):
            merged[merged.index(prev)] = _merged(prev, event)
        else:
            merged.append(event)
    return merged


def _merged(kept: Event, other: Event) -> Event:
    """``kept`` with the arguments of ``other`` it lacks (none inside its trigger) and the higher score."""
    seen = {(a.role, a.start, a.end) for a in kept.arguments}
    extra = tuple(a for a in other.arguments if (a.role, a.start, a.end) not in seen
                  and not (a.start < kept.trigger.end and a.end > kept.trigger.start))
    score = max((x for x in (kept.score, other.score) if x is not None), default=None)
    return Event(kept.type, kept.trigger, kept.arguments + extra, score)


class BatchTrigger(NamedTuple):
    """A trigger found in row ``row`` of a batch, with the token span and type id the argument head reads."""

    row: int
    trigger: DecodedTrigger
    start: int
    end: int
    type_id: int


class BatchDecoder:
    """Label probabilities of a batch of windows -> events; holds only the label set (no model, no state)."""

    def __init__(self, labels: LabelSet):
        self.labels = labels
        self._trigger_tags = np.array(labels.trigger_labels, dtype=object)
        self._role_tags = np.array(labels.role_labels, dtype=object)
        self._trigger_bio = bio_transitions(labels.trigger_labels)
        self._role_bio = bio_transitions(labels.role_labels)

    def triggers(self, batch: Sequence[Window], trigger_probs: np.ndarray, min_score: float = 0.0
                 ) -> list[BatchTrigger]:
        """The triggers each window owns, from ``trigger_probs`` ``[windows, tokens, trigger labels]``."""
        rows = [i for i, w in enumerate(batch) if w.heads]
        tags = best_tags_many([trigger_probs[i, batch[i].heads] for i in rows], self._trigger_tags,
                              *self._trigger_bio)
        found = []
        for i, (row_tags, scores) in zip(rows, tags):
            w = batch[i]
            for trig in decode_triggers(row_tags, scores, w.owned):
                if trig.score >= min_score:
                    found.append(BatchTrigger(i, trig, *w.token_span(trig.first, trig.last),
                                              self.labels.type_id[trig.type]))
        return found

    @staticmethod
    def argument_inputs(triggers: Sequence[BatchTrigger]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(ev_batch, ev_start, ev_end, ev_type)`` int64 arrays: a runner's argument-stage input."""
        ev = np.array([(t.row, t.start, t.end, t.type_id) for t in triggers], dtype=np.int64).reshape(-1, 4)
        return ev[:, 0], ev[:, 1], ev[:, 2], ev[:, 3]

    def events(self, batch: Sequence[Window], texts: Sequence[str], triggers: Sequence[BatchTrigger],
               role_probs: np.ndarray, min_score: float = 0.0) -> list[list[Event]]:
        """Each window's events (offsets into its sentence ``texts[window.sample]``), from ``role_probs``
        ``[triggers, tokens, role labels]`` in the order of ``triggers``."""
        out: list[list[Event]] = [[] for _ in batch]
        tags = best_tags_many([role_probs[k, batch[t.row].heads] for k, t in enumerate(triggers)], self._role_tags,
                              *self._role_bio)
        for t, (row_tags, scores) in zip(triggers, tags):
            w = batch[t.row]
            text = texts[w.sample]
            args = decode_arguments(text, w.word_spans, row_tags, scores, (t.trigger.first, t.trigger.last),
                                    min_score)
            out[t.row].append(make_event(text, w.word_spans, t.trigger, args))
        return out
