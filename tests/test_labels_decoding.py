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
