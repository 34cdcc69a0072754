"""The Python API on a tiny trained model: input checks, offsets, long texts, threads."""
import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest

from inference import EventExtractor


@pytest.fixture(scope="module")
def ex(tiny_model_dir):
    return EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")


def check_offsets(doc):
    """Every event and argument of ``doc`` points at its own text; there must be events to check."""
    assert doc.events, "no events to check"
    for e in doc.events:
        assert doc.text[e.trigger.start:e.trigger.end] == e.trigger.text
        assert 0.0 <= e.score <= 1.0
        for a in e.arguments:
            assert doc.text[a.start:a.end] == a.text and 0.0 <= a.score <= 1.0


def test_seed_article_offsets_into_whole_text(ex):
    from tests.conftest import ROOT

    text = (ROOT / "seeds" / "000_e5aaf2822eefe5aa.txt").read_text(encoding="utf-8")
    (doc,) = ex.extract(text)
    assert len(doc.sentences) == 15
    check_offsets(doc)
    d = doc.to_dict()
    assert set(d) == {"text", "events", "sentences"} and len(d["events"]) == len(doc.events)
    for e in d["events"]:
        s = e["sentence"]
        assert s["start"] <= e["trigger"]["start"] < e["trigger"]["end"] <= s["end"]


def test_one_str_and_list_give_the_same(ex):
    text = "Rebels ambushed a convoy near Gao on Monday, the army said."
    def spans(doc):  # scores may differ in the last digits when padding differs; the events may not
        return [(e.type, e.trigger.start, e.trigger.end, [(a.role, a.start, a.end) for a in e.arguments])
                for e in doc.events]

    (alone,) = ex.extract(text)
    together = ex.extract([text, "x"])
    assert len(together) == 2 and spans(alone) == spans(together[0])


@pytest.mark.parametrize("bad, error, where", [
    ([None], ValueError, r"texts\[0\] is None"),
    (["ok", 3], TypeError, r"texts\[1\] must be a str"),
    (5, TypeError, "texts must be a str or a sequence"),
    (["ok", "Rebels \ud800 ambushed"], ValueError, r"texts\[1\] has a lone surrogate U\+D800 at character 7"),
])
def test_bad_input_names_the_item(ex, bad, error, where):
    with pytest.raises(error, match=where):
        ex.extract(bad)


def test_empty_and_whitespace_give_empty_results(ex):
    docs = ex.extract(["", "   \n\t"])
    assert [d.events for d in docs] == [[], []] and [d.sentences for d in docs] == [[], []]
    assert ex.extract([]) == []


def test_odd_characters_keep_exact_offsets(ex, seed_sentences):
    # sentences the tiny model was trained on, so that there are events whose offsets can be checked
    first, second = [s.text for s in seed_sentences if s.events][:2]
    texts = [f"😀 \x07 — “odd”. {first} 中文 Кириллица “quotes” — dash.", f"\u200bZero width\u00a0space. {second}"]
    for doc in ex.extract(texts):
        check_offsets(doc)


def test_very_long_inputs_are_windowed_not_truncated(ex, seed_sentences):
    long_sentence = " ".join(["the army said that rebels ambushed a convoy"] * 250)  # 2,000 words, no full stop
    from inference.features import tokenize_windows

    windows = tokenize_windows(ex.tokenizer, [long_sentence], 64, 16)
    assert len(windows) > 1 and windows[-1].word_spans[-1][1] == len(long_sentence)
    owned = [w.words[i] for w in windows for i in range(*w.owned)]
    assert owned == sorted(set(owned)) == list(range(2000))  # every word decided by exactly one window
    (doc,) = ex.extract(long_sentence)
    assert len(doc.sentences) == 1
    check_offsets(doc)
    sentence = next(s.text for s in seed_sentences if s.events)   # one the tiny model finds events in
    copies = 100_000 // len(sentence) + 1
    (doc,) = ex.extract(" ".join([sentence] * copies))                # 100,000+ characters
    assert len(doc.sentences) == copies
    check_offsets(doc)
    assert doc.events[-1].trigger.start > 99_000   # the last sentences were read too


def test_windowing_decides_each_trigger_once(ex):
    text = " ".join(["Rebels ambushed a convoy near Gao on Monday, the army said, and troops fell back."] * 6)
    small = EventExtractor.from_model(ex.model, ex.tokenizer, precision="fp32")
    small.config = dataclasses.replace(ex.config, max_length=24, stride=8)
    windowed = small.predict_sentences([text])[0]
    starts = [e.trigger.start for e in windowed]
    assert len(starts) == len(set(starts))
    for e in windowed:
        assert text[e.trigger.start:e.trigger.end] == e.trigger.text


def test_thread_safe(ex):
    texts = [f"Rebels ambushed convoy number {i} near Gao, the army said." for i in range(40)]
    expected = [ex.extract(t)[0].to_dict() for t in texts]  # the same single-text calls, one after another
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda t: ex.extract(t)[0].to_dict(), texts))
    assert got == expected


def test_min_score_filters(ex, seed_sentences):
    text = max((s for s in seed_sentences), key=lambda s: sum(len(e.arguments) for e in s.events)).text
    everything = ex.extract(text)[0].events
    scores = sorted([e.score for e in everything] + [a.score for e in everything for a in e.arguments])
    # a threshold in the widest gap between scores: some items fall below it, some stay, none sits on it
    low, high = max(zip(scores, scores[1:]), key=lambda pair: pair[1] - pair[0])
    threshold = (low + high) / 2
    kept = ex.extract(text, min_score=threshold)[0].events

    def spans(events, keep):
        return [(e.type, e.trigger, [(a.role, a.start, a.end) for a in e.arguments if keep(a.score)])
                for e in events if keep(e.score)]

    assert spans(kept, lambda score: True) == spans(everything, lambda score: score >= threshold)
    assert 0 < sum(1 + len(args) for _, _, args in spans(kept, lambda score: True)) < len(scores)


def test_options_are_checked(tiny_model_dir):
    with pytest.raises(ValueError, match="precision 'fp16'"):
        EventExtractor.from_pretrained(tiny_model_dir, precision="fp16")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        EventExtractor.from_pretrained(tiny_model_dir, batch_size=0)
    with pytest.raises(ValueError, match="workers must be >= 1"):
        EventExtractor.from_pretrained(tiny_model_dir, workers=0)


def test_workers_give_the_same_events_in_the_same_order(tiny_model_dir, seed_sentences):
    import torch

    threads = torch.get_num_threads()
    texts = [s.text for s in seed_sentences] * 3
    one = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32", batch_size=4)
    expected = [d.to_dict() for d in one.extract(texts)]
    assert any(d["events"] for d in expected)
    with EventExtractor.from_pretrained(tiny_model_dir, precision="fp32", batch_size=4, workers=3) as parallel:
        assert parallel._pool is not None and parallel.workers == 3
        assert [d.to_dict() for d in parallel.extract(texts)] == expected   # 12 batches over 3 threads
    assert torch.get_num_threads() == threads   # the workers' thread count stayed on the workers


def test_threads_are_set_where_the_model_runs_and_put_back(tiny_model_dir):
    import torch

    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    ex = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32", num_threads=wanted)
    assert torch.get_num_threads() == before   # building the extractor changes nothing
    seen = []
    encode = ex.model.encode

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return encode(*args, **kwargs)

    ex.model.encode = spy
    ex.extract(["Troops fell back from Gao.", "Rebels ambushed a convoy."], batch_size=1)
    assert seen == [wanted, wanted] and torch.get_num_threads() == before


def test_close_shuts_the_worker_threads(tiny_model_dir):
    with EventExtractor.from_pretrained(tiny_model_dir, precision="fp32", workers=2) as ex:
        pool = ex._pool
        assert len(ex.extract(["Troops fell back.", "Rebels ambushed a convoy."], batch_size=1)) == 2
    assert ex._pool is None and pool._shutdown
    with pytest.raises(RuntimeError):
        pool.submit(print)
    assert len(ex.extract("Troops fell back.")) == 1   # after close, batches run on the calling thread


def test_bf16_runs_and_mostly_agrees(tiny_model_dir, seed_sentences):
    fp32 = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    bf16 = EventExtractor.from_pretrained(tiny_model_dir, precision="bf16")
    texts = [s.text for s in seed_sentences]
    a = [[(e.type, e.trigger.start) for e in evs] for evs in fp32.predict_sentences(texts)]
    b = [[(e.type, e.trigger.start) for e in evs] for evs in bf16.predict_sentences(texts)]
    assert sum(x == y for x, y in zip(a, b)) >= len(texts) - 2


def test_plan_batches_sorts_by_length_and_caps_activations():
    from inference.features import plan_batches

    lengths = [30, 5, 200, 12, 40, 8]
    assert plan_batches(lengths, 4) == [[1, 5, 3, 0], [4, 2]]
    # feed-forward 10 wide, 12 heads: the attention scores set the width of the 200-token window
    width = lambda n: max(10, 12 * n)  # noqa: E731
    plans = plan_batches(lengths, 4, width, max_values=40_000)
    assert sorted(i for batch in plans for i in batch) == list(range(6))  # every window, once
    assert plans == [[1, 5, 3], [0, 4], [2]]  # the lone 200-token window passes the cap: a batch of its own
    assert all(len(b) * max(lengths[i] for i in b) * width(max(lengths[i] for i in b)) <= 40_000
               for b in plans if len(b) > 1)
