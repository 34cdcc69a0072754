"""Dynamic batching for the HTTP service: the texts of concurrent requests share encoder batches.

One worker thread owns the model. Requests queue their texts; the worker takes
queued texts in arrival order, up to ``round_chars`` characters across
requests, and extracts them in one call (which sorts their sentences by length
into encoder batches, as offline extraction does). When it finds the queue
short it waits up to ``wait_s`` for more texts to arrive. A request is
answered once all its texts are done, so a large request is spread over
several rounds and small requests are not held behind it for long.

One worker and bounded rounds bound memory: only one round's sentences, and
the activations of the encoder batches the extractor runs at once (its
``workers``: the server's ``batch_workers``), exist at a time, whatever the
number of clients (concurrent ``extract()`` calls on threads each held their own).
Queued texts wait as the strings they arrived as, up to ``max_queued_chars``;
beyond that ``submit`` raises ``QueueFull``.

A text's answer equals the one it gets alone as far as the model's arithmetic
is batch-invariant: fp32 and per-row int8 give the same events in any batch.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from inference.extractor import ExtractedDocument
from inference.records import Event

__all__ = ["Batcher", "QueueFull", "above"]

logger = logging.getLogger(__name__)

ExtractFn = Callable[[list[str], float], list[ExtractedDocument]]


class QueueFull(RuntimeError):
    """The queue holds ``max_queued_chars`` already; the client should retry later."""


@dataclass(eq=False)
class _Request:
    texts: Sequence[str]
    min_score: float
    future: Future
    docs: list[ExtractedDocument | None] = field(init=False)
    taken: int = 0      # texts the worker has taken
    answered: int = 0   # texts with a document

    def __post_init__(self) -> None:
        self.docs = [None] * len(self.texts)


def _chars(text: str) -> int:
    return max(1, len(text))  # an empty text still costs a slot


def above(doc: ExtractedDocument, min_score: float) -> ExtractedDocument:
    """``doc`` without the events, and the arguments, scored below ``min_score``.

    Extracting with a threshold gives exactly this: a trigger below it is never
    decoded, an argument below it never kept, and nothing else depends on either.
    """
    def keep(e: Event) -> Event:
        return replace(e, arguments=tuple(a for a in e.arguments if a.score >= min_score))

    sentences = [replace(s, events=[keep(e) for e in s.events if e.score >= min_score]) for s in doc.sentences]
    return ExtractedDocument(doc.text, sentences)


class Batcher:
    """Extract the texts of concurrent requests in shared rounds on one worker thread.

    >>> from inference.extractor import ExtractedDocument
    >>> b = Batcher(lambda texts, m: [ExtractedDocument(t, []) for t in texts], round_chars=100,
    ...             wait_s=0.001, max_queued_chars=1000)
    >>> [d.text for d in b.submit(["a", "b"], 0.0).result()]
    ['a', 'b']
    >>> b.close()
    """

    def __init__(self, extract: ExtractFn, round_chars: int, wait_s: float, max_queued_chars: int):
        self._extract = extract
        self.round_chars, self.wait_s, self.max_queued_chars = round_chars, wait_s, max_queued_chars
        self._queue: deque[_Request] = deque()
        self._queued_chars = 0
        self._closed = False
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="sitrep-batcher", daemon=True)
        self._worker.start()

    def submit(self, texts: Sequence[str], min_score: float) -> Future:
        """Queue ``texts``; the future gives their documents, in order, scored at least ``min_score``."""
        request = _Request(texts, min_score, Future())
        if not texts:
            request.future.set_result([])
            return request.future
        size = sum(_chars(t) for t in texts)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if self._queued_chars + size > self.max_queued_chars:
                raise QueueFull(f"{self._queued_chars} characters are queued and this request adds {size}; "
                                f"the queue holds {self.max_queued_chars}: retry shortly")
            self._queue.append(request)
            self._queued_chars += size
            self._cond.notify()
        return request.future

    def close(self) -> None:
        """Stop the worker after the round in progress; queued requests fail."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._worker.join()
        for request in self._queue:
            request.future.set_exception(RuntimeError("the server is shutting down"))
        self._queue.clear()

    # ---- worker -----------------------------------------------------------------------
    def _take(self) -> list[tuple[_Request, int, int]] | None:
        """The next round: (request, first text, end) slices in arrival order; None once closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._queue or self._closed)
            if self._closed:
                return None
            # a short queue waits a little for more: requests that arrive together share batches
            deadline = time.monotonic() + self.wait_s
            while self._queued_chars < self.round_chars and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            round_: list[tuple[_Request, int, int]] = []
            chars = 0
            while self._queue and chars < self.round_chars:
                request = self._queue[0]
                start = end = request.taken
                while end < len(request.texts) and (chars < self.round_chars or end == start):
                    chars += _chars(request.texts[end])
                    end += 1
                request.taken = end
                round_.append((request, start, end))
                if end == len(request.texts):
                    self._queue.popleft()
            self._queued_chars -= chars
            return round_

    def _run(self) -> None:
        while (round_ := self._take()) is not None:
            texts = [t for request, start, end in round_ for t in request.texts[start:end]]
            threshold = min(request.min_score for request, _, _ in round_)
            try:
                docs = iter(self._extract(texts, threshold))
            except Exception as exc:  # the requests of this round fail; the service goes on
                logger.exception("extraction failed for a round of %d texts", len(texts))
                self._fail([request for request, _, _ in round_], exc)
                continue
            for request, start, end in round_:
                for k in range(start, end):
                    doc = next(docs)
                    request.docs[k] = doc if request.min_score <= threshold else above(doc, request.min_score)
                request.answered += end - start
                if request.answered == len(request.texts):
                    request.future.set_result(request.docs)

    def _fail(self, requests: list[_Request], exc: Exception) -> None:
        with self._cond:
            for request in requests:
                if request in self._queue:  # the rest of its texts need not run
                    self._queued_chars -= sum(_chars(t) for t in request.texts[request.taken:])
                    self._queue.remove(request)
        for request in requests:
            if not request.future.done():
                request.future.set_exception(exc)
