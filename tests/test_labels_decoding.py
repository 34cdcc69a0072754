import dataclasses

import pytest

from inference.decoding import decode_arguments, decode_triggers
from inference.labels import LabelSet, bio_to_spans, spans_to_bio


def test_label_set_and_role_mask(ontology):
    labels = LabelSet(ontology)
    assert labels.trigger_labels[:3] == ["O", "B-Ambush", "I-Ambush"]
    mask = labels.role_mask()
    statement = labels.type_id["Statement"]
    allowed = {lab for lab, ok in zip(labels.role_labels, mask[statement]) if ok}
    assert allowed == {"O", "B-Speaker", "I-Speaker", "B-Message", "I-Message", "B-Addressee", "I-Addressee",
                       "B-Time", "I-Time"}


def test_spans_to_bio_multiword_and_partial_overlap():
    words = [(0, 6), (7, 13), (14, 18), (19, 22)]   # "Troops pulled back now"
    assert spans_to_bio(words, [(7, 18, "Retreat")]) == ["O", "B-Retreat", "I-Retreat", "O"]
    assert spans_to_bio(words, [(8, 10, "X")]) == ["O", "B-X", "O", "O"]


def test_bio_repair_and_scores():
    tags = ["I-Agent", "I-Agent", "O", "B-Time", "I-Origin", "B-Time", "I-Time"]
    probs = [0.5, 0.7, 0.9, 0.8, 0.6, 1.0, 0.5]
    assert bio_to_spans(tags, probs) == [(0, 2, "Agent", 0.6), (3, 4, "Time", 0.8), (4, 5, "Origin", 0.6),
                                         (5, 7, "Time", 0.75)]


def test_decode_triggers_respects_window_ownership():
    tags = ["B-Coup", "O", "B-Retreat", "I-Retreat"]
    assert decode_triggers(tags, [1.0] * 4, (1, 4)) == [(2, 4, "Retreat", 1.0)]


def test_decode_arguments_exact_text_and_threshold():
    text = "Rebels of the north fled Gao."
    words = [(0, 6), (7, 9), (10, 13), (14, 19), (20, 24), (25, 28), (28, 29)]
    tags = ["B-Agent", "I-Agent", "I-Agent", "I-Agent", "O", "B-Origin", "O"]
    args = decode_arguments(text, words, tags, [0.9, 0.9, 0.9, 0.9, 0.9, 0.3, 0.9], (4, 5), min_score=0.5)
    assert [(a.role, a.text, a.start, a.end) for a in args] == [("Agent", "Rebels of the north", 0, 19)]


def test_viterbi_never_leaves_a_fragment():
    import numpy as np

    from inference.decoding import best_tags
    from inference.labels import bio_transitions

    labels = np.array(["O", "B-Message", "I-Message", "B-Time", "I-Time"], dtype=object)
    follow, start = bio_transitions(list(labels))
    # argmax per word would give O, I-Message, O: a lone "I-" fragment
    probs = np.array([[0.7, 0.1, 0.1, 0.05, 0.05],
                      [0.3, 0.2, 0.4, 0.05, 0.05],
                      [0.8, 0.05, 0.05, 0.05, 0.05]])
    tags, scores = best_tags(probs, labels, follow, start)
    assert list(tags) == ["O", "O", "O"]  # 0.7*0.3*0.8 beats B-,I- (0.1*0.4*0.8) and O,B-,O (0.7*0.2*0.8)
    assert all(not (t.startswith("I-") and (i == 0 or tags[i - 1][2:] != t[2:])) for i, t in enumerate(tags))
    assert scores.shape == (3,)
    # a confident span is kept whole
    probs2 = np.array([[0.05, 0.9, 0.02, 0.02, 0.01], [0.05, 0.02, 0.9, 0.02, 0.01], [0.9, 0.03, 0.03, 0.02, 0.02]])
    assert list(best_tags(probs2, labels, follow, start)[0]) == ["B-Message", "I-Message", "O"]


def test_viterbi_finds_the_best_well_formed_sequence_by_exhaustive_search():
    import itertools

    import numpy as np

    from inference.labels import bio_transitions, viterbi_bio

    labels = ["O", "B-Agent", "I-Agent", "B-Time", "I-Time"]
    follow, start = bio_transitions(labels)
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 6))
        probs = rng.dirichlet(np.full(len(labels), 0.3), size=n)
        logp = np.log(np.clip(probs, 1e-12, None))
        valid = [seq for seq in itertools.product(range(len(labels)), repeat=n)
                 if start[seq[0]] and all(follow[a, b] for a, b in zip(seq, seq[1:]))]
        best = max(valid, key=lambda seq: sum(logp[t, j] for t, j in enumerate(seq)))
        assert viterbi_bio(probs, follow, start).tolist() == list(best)


def test_best_tags_many_equals_best_tags_one_by_one():
    import numpy as np

    from inference.decoding import best_tags, best_tags_many
    from inference.labels import bio_transitions

    labels = np.array(["O", "B-Agent", "I-Agent", "B-Time", "I-Time"], dtype=object)
    follow, start = bio_transitions(list(labels))
    rng = np.random.default_rng(1)
    rows = [rng.dirichlet(np.full(5, 0.3), size=int(n)) for n in rng.integers(0, 9, size=60)]
    many = best_tags_many(rows, labels, follow, start)
    for row, (tags, scores) in zip(rows, many):
        one_tags, one_scores = best_tags(row, labels, follow, start)
        assert list(tags) == list(one_tags) and np.allclose(scores, one_scores)
    assert any(len(r) and not (start[r.argmax(-1)[0]] and follow[r.argmax(-1)[:-1], r.argmax(-1)[1:]].all())
               for r in rows)  # some rows needed the Viterbi pass


def test_argument_spans_lose_edge_punctuation_and_punctuation_alone_is_no_argument():
    text = "“We pulled back,” the commander said “"
    spans = [(0, 1), (1, 3), (4, 10), (11, 15), (15, 16), (16, 17), (18, 21), (22, 31), (32, 36), (37, 38)]
    tags = ["B-Message", "I-Message", "I-Message", "I-Message", "I-Message", "I-Message", "B-Speaker", "I-Speaker",
            "O", "B-Addressee"]
    args = decode_arguments(text, spans, tags, [0.9] * len(tags), (8, 9))
    assert [(a.role, a.text) for a in args] == [("Message", "We pulled back"), ("Speaker", "the commander")]


def _coup(text, trigger, *args):
    from inference.records import Argument, Event, Span

    s = text.index(trigger)
    arguments = tuple(Argument(role, text.index(t), text.index(t) + len(t), t, 0.9) for role, t in args)
    return Event("Coup", Span(s, s + len(trigger), trigger), arguments, 0.5)


def test_one_occurrence_named_twice_becomes_one_event_and_distinct_occurrences_stay():
    from inference.decoding import merge_same_occurrence

    text = "Officers overthrew the president in a coup on Monday."
    events = [_coup(text, "overthrew", ("Agent", "Officers"), ("Target", "the president")),
              _coup(text, "coup", ("Time", "Monday"))]
    (merged,) = merge_same_occurrence(text, events)
    assert merged.trigger.text == "coup"
    assert sorted(a.role for a in merged.arguments) == ["Agent", "Target", "Time"]

    text = "The army seized power in 2012, and a coup followed in 2020."
    events = [_coup(text, "seized power"), _coup(text, "coup")]
    assert len(merge_same_occurrence(text, events)) == 2
    text = "The junta said in a statement that it had seized power."
    said, noun = (dataclasses.replace(_coup(text, w), type="Statement") for w in ("said", "statement"))
    assert len(merge_same_occurrence(text, [said, noun])) == 2   # only Coups merge by default

    text = "The July coup, when soldiers overthrew Bazoum, was condemned."   # a clause break: two events
    assert len(merge_same_occurrence(text, [_coup(text, "coup"), _coup(text, "overthrew")])) == 2
    text = "The coup that soldiers staged on Monday toppled Keita."
    (merged,) = merge_same_occurrence(text, [_coup(text, "coup", ("Time", "Monday")),
                                             _coup(text, "toppled", ("Target", "Keita"))])
    assert merged.trigger.text == "coup" and sorted(a.role for a in merged.arguments) == ["Target", "Time"]


@pytest.mark.parametrize("before, dropped", [
    ("Officers were jailed for plotting a coup to ", True), ("They were tried for planning a ", True),
    ("The troops had not ", True), ("They didn't ", True), ("Troops will ", True), ("Soldiers were ordered to ", True),
    ("Rebels vowed to ", True), ("The army is considering ", True),
    ("After the May ", False), ("They set up a carefully planned ", False), ("It was an orderly ", False),
    ("Soldiers tried to ", False), ("The troops had no choice but to ", False), ("Notably, troops ", False),
])
def test_events_that_did_not_happen_are_dropped(before, dropped):
    from inference.decoding import drop_unrealized
    from inference.records import Event, Span

    text = before + "withdraw from Gao."
    event = Event("Retreat", Span(len(before), len(before) + 8, "withdraw"), (), 0.9)
    assert drop_unrealized(text, [event]) == ([] if dropped else [event])


def test_attached_phrases_join_and_coordinated_participants_stay_apart():
    from inference.decoding import join_attached_phrases

    text = "Kirenowa village in Marte district and Gubio town"
    words = [(0, 8), (9, 16), (17, 19), (20, 25), (26, 34), (35, 38), (39, 44), (45, 49)]
    spans = [(0, 3, "Place", 0.9), (3, 5, "Place", 0.8), (6, 8, "Place", 0.9)]
    assert join_attached_phrases(text, words, spans) == [(0, 5, "Place", 0.8), (6, 8, "Place", 0.9)]
    assert join_attached_phrases(text, words, [(0, 2, "Agent", 0.9), (3, 5, "Place", 0.8)]) == [
        (0, 2, "Agent", 0.9), (3, 5, "Place", 0.8)]
    text = "CSP-PSD and MNLA claimed"   # one written word cut in two by the tagger is one span again
    words = [(0, 3), (3, 4), (4, 7), (8, 11), (12, 16), (17, 24)]
    spans = [(0, 1, "Speaker", 0.9), (2, 3, "Speaker", 0.8), (4, 5, "Speaker", 0.9)]
    assert join_attached_phrases(text, words, spans) == [(0, 3, "Speaker", 0.8), (4, 5, "Speaker", 0.9)]


def test_batch_decoder_turns_probabilities_into_events_without_a_model(ontology):
    import numpy as np

    from inference.decoding import BatchDecoder
    from inference.features import Window

    labels = LabelSet(ontology)
    text = "Troops fell back from Gao"
    # [CLS] Troops fell back from G ##ao [SEP] [PAD]: five words, "Gao" in two sub-tokens
    w = Window(0, [101, 1, 2, 3, 4, 5, 6, 102], heads=[1, 2, 3, 4, 5],
               word_spans=[(0, 6), (7, 11), (12, 16), (17, 21), (22, 25)], words=[0, 1, 2, 3, 4], owned=(0, 5))
    empty = Window(1, [101, 102], heads=[], word_spans=[], words=[], owned=(0, 0))
    trigger_probs = np.zeros((2, 9, len(labels.trigger_labels)))
    trigger_probs[:, :, labels.trigger_id["O"]] = 1.0
    trigger_probs[0, 2] = 0.0
    trigger_probs[0, 2, labels.trigger_id["B-Retreat"]] = 0.9
    trigger_probs[0, 2, labels.trigger_id["O"]] = 0.1
    trigger_probs[0, 3] = 0.0
    trigger_probs[0, 3, labels.trigger_id["I-Retreat"]] = 0.7
    trigger_probs[0, 3, labels.trigger_id["O"]] = 0.3
    decoder = BatchDecoder(labels)
    (found,) = decoder.triggers([w, empty], trigger_probs)
    assert (found.row, found.trigger.type, found.start, found.end) == (0, "Retreat", 2, 3)
    assert found.trigger.score == pytest.approx(0.8)
    assert decoder.triggers([w, empty], trigger_probs, min_score=0.85) == []
    ev_batch, ev_start, ev_end, ev_type = decoder.argument_inputs([found])
    assert (ev_batch.tolist(), ev_start.tolist(), ev_end.tolist()) == ([0], [2], [3])
    assert ev_type.tolist() == [labels.type_id["Retreat"]]
    role_probs = np.zeros((1, 9, len(labels.role_labels)))
    role_probs[:, :, labels.role_id["O"]] = 1.0
    for pos, tag in ((1, "B-Agent"), (5, "B-Origin")):
        role_probs[0, pos] = 0.0
        role_probs[0, pos, labels.role_id[tag]] = 1.0
    events = decoder.events([w, empty], [text], [found], role_probs)
    assert events[1] == []
    (event,) = events[0]
    assert (event.type, event.trigger.text) == ("Retreat", "fell back")
    assert [(a.role, a.text) for a in event.arguments] == [("Agent", "Troops"), ("Origin", "Gao")]


def test_trigger_token_span_covers_every_sub_token_in_training_rows(tiny_model_dir, ontology):
    """training/dataset.py gives the argument head a gold trigger's tokens by ``Window.token_span``, as the
    extractor does for a predicted one: all sub-tokens of a multi-token trigger, up to the closing token."""
    from transformers import AutoTokenizer

    from inference.records import Event, Sentence, Span
    from training.dataset import encode_windows

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = "Insurgents pulled back from Tinzaouaten"
    for start, end in ((11, 22), (28, 39)):    # "pulled back" (two words), "Tinzaouaten" (last word, sub-tokens)
        sentence = Sentence("a", text, [Event("Retreat", Span(start, end, text[start:end]))])
        cols = encode_windows([sentence], tokenizer, LabelSet(ontology), 64, 16)
        ids = cols["input_ids"][0]
        first, last = cols["ev_start"][0][0], cols["ev_end"][0][0]
        assert tokenizer.decode(ids[first:last + 1]) == text[start:end].lower()
