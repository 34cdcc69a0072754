"""The server's batching worker: shared rounds, bounded rounds, thresholds, failures, same answers."""
import threading

import pytest

from inference import EventExtractor
from inference.batching import Batcher, QueueFull, above
from inference.extractor import ExtractedDocument
from tests.test_batch_invariance import events_of


class Recorder:
    """A fake extraction that records each round's texts; it can hold the worker until released."""

    def __init__(self, hold: bool = False):
        self.rounds: list[list[str]] = []
        self.started, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, texts, min_score):
        self.rounds.append(list(texts))
        self.started.set()
        self.release.wait(10)
        if "boom" in texts:
            raise RuntimeError("boom")
        return [ExtractedDocument(t, []) for t in texts]


def busy_batcher(round_chars: int, max_queued_chars: int = 1000) -> tuple[Recorder, Batcher]:
    """A batcher whose worker is busy with a first request until ``Recorder.release`` is set."""
    rec = Recorder(hold=True)
    b = Batcher(rec, round_chars=round_chars, wait_s=0.0, max_queued_chars=max_queued_chars)
    b.submit(["warm"], 0.0)
    assert rec.started.wait(5)
    return rec, b


def test_requests_that_arrive_together_share_a_round_and_get_their_own_answers():
    rec, b = busy_batcher(round_chars=1000)
    futures = [b.submit([f"r{i}-a", f"r{i}-b"], 0.0) for i in range(3)]
    rec.release.set()
    assert [[d.text for d in f.result(5)] for f in futures] == [[f"r{i}-a", f"r{i}-b"] for i in range(3)]
    assert rec.rounds == [["warm"], ["r0-a", "r0-b", "r1-a", "r1-b", "r2-a", "r2-b"]]
    b.close()


def test_rounds_are_bounded_and_a_large_request_spreads_over_several():
    rec, b = busy_batcher(round_chars=10)
    large = b.submit(["aaaa"] * 6, 0.0)
    small = b.submit(["bbbb"], 0.0)
    rec.release.set()
    assert len(large.result(5)) == 6 and len(small.result(5)) == 1
    assert rec.rounds[1:] == [["aaaa"] * 3, ["aaaa"] * 3, ["bbbb"]]   # each round stops once it holds 10 chars
    b.close()


def test_a_full_queue_refuses_and_a_failed_round_fails_only_its_requests():
    rec, b = busy_batcher(round_chars=100, max_queued_chars=8)
    failing = b.submit(["boom"], 0.0)
    with pytest.raises(QueueFull, match="4 characters are queued and this request adds 5; the queue holds 8"):
        b.submit(["12345"], 0.0)
    rec.release.set()
    with pytest.raises(RuntimeError, match="boom"):
        failing.result(5)
    assert [d.text for d in b.submit(["after"], 0.0).result(5)] == ["after"]
    b.close()


@pytest.fixture(scope="module")
def int8(tiny_model_dir):
    return EventExtractor.from_pretrained(tiny_model_dir, precision="int8")


def test_a_threshold_applied_afterwards_equals_extracting_with_it(int8, seed_sentences):
    texts = [s.text for s in seed_sentences]
    for min_score in (0.3, 0.6, 0.9):
        expected = [d.to_dict() for d in int8.extract(texts, min_score=min_score)]
        assert [above(d, min_score).to_dict() for d in int8.extract(texts, min_score=0.0)] == expected


def test_answers_in_shared_rounds_equal_answers_alone(int8, seed_sentences):
    texts = [s.text for s in seed_sentences]
    requests = [texts[:1], texts[1:9], [" ".join(texts[3:12])], texts[::-1], texts[5:6] * 3]
    alone = [[events_of(d.events) for d in int8.extract(r)] for r in requests]
    b = Batcher(lambda t, m: int8.extract(t, None, m), round_chars=600, wait_s=0.05, max_queued_chars=10**6)
    futures = [b.submit(r, 0.0) for r in requests]
    assert [[events_of(d.events) for d in f.result(60)] for f in futures] == alone
    b.close()


def test_a_round_on_two_batch_workers_gives_the_answers_of_one(tiny_model_dir, seed_sentences):
    # the server's default: a round's batches run on two threads at once, one CPU thread each
    texts = [s.text for s in seed_sentences]
    one = EventExtractor.from_pretrained(tiny_model_dir, precision="int8", batch_size=3, num_threads=1)
    with EventExtractor.from_pretrained(tiny_model_dir, precision="int8", batch_size=3, workers=2) as two:
        b = Batcher(lambda t, m: two.extract(t, None, m), round_chars=10**5, wait_s=0.05, max_queued_chars=10**6)
        futures = [b.submit(texts[k::3], 0.0) for k in range(3)]
        assert [[events_of(d.events) for d in f.result(60)] for f in futures] == \
            [[events_of(d.events) for d in one.extract(texts[k::3])] for k in range(3)]
        b.close()
