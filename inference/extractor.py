"""``EventExtractor``: raw text in, events with exact character offsets out.

One code path serves the Python API, ``sitrep extract`` and the HTTP server:
split texts into sentences, tokenize all sentences in one batch call, sort the
windows by length so batches carry little padding, then run each batch (on
worker threads when asked): the runner's encoder pass and trigger head, trigger
decoding, the runner's argument head once for all the batch's triggers,
argument decoding. Choosing the runner is ``inference.runners``' job, decoding
``inference.decoding``'s; this module schedules and assembles.
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from inference.decoding import BatchDecoder, drop_unrealized, merge_same_occurrence
from inference.features import Window, pad_windows, plan_batches, tokenize_windows
from inference.inputs import check_texts
from inference.labels import LabelSet
from inference.model import EventModel, EventModelConfig, ModelLoadError, read_model_config
from inference.ontology import Ontology
from inference.records import Argument, Event, Sentence, Span
from inference.runners import TorchRunner, load_runner, threads_per_worker, torch_runner
from inference.splitter import split_sentences

__all__ = ["EventExtractor", "ExtractedDocument", "ExtractedSentence", "StageTimes", "STAGES", "CPU_BATCH_VALUES",
           "activation_width"]

# the stages of extraction, in order, as StageTimes names them
# Largest activation a CPU batch may hold, in values (fp32: 4 bytes each): 2,048 tokens of MiniLM's
# 1,536-wide feed-forward. A 2-core EPYC with 32 MB of L3 ran int8 1,030 sentences/s in batches of 32
# and 480 in batches of 128 (benchmarks/README.md, session 8).
CPU_BATCH_VALUES = 2048 * 1536

STAGES = ("tokenize", "encoder + trigger head", "trigger decoding", "argument head", "argument decoding", "assembly")


@dataclass
class ExtractedSentence:
    """A sentence of the input with its events; all offsets point into the input text."""

    start: int
    end: int
    text: str
    events: list[Event] = field(default_factory=list)


@dataclass
class ExtractedDocument:
    """The events of one input text.

    ``to_dict()`` is a record in the docs/ANNOTATION.md format (offsets into ``text``),
    each event and argument with a ``score``, each event with its ``sentence``.
    """

    text: str
    sentences: list[ExtractedSentence]

    @property
    def events(self) -> list[Event]:
        return [e for s in self.sentences for e in s.events]

    def to_dict(self) -> dict[str, Any]:
        events = []
        for s in self.sentences:
            for e in s.events:
                events.append(e.to_dict() | {"sentence": {"start": s.start, "end": s.end}})
        return {"text": self.text, "events": events,
                "sentences": [{"start": s.start, "end": s.end} for s in self.sentences]}


class StageTimes:
    """Wall seconds spent in each of ``STAGES``, summed over calls (set ``EventExtractor.stage_times`` to one).

    With several workers, stages of parallel batches overlap, so the sum can
    exceed the elapsed time: it then says where the CPU time goes.

    >>> times = StageTimes()
    >>> with times("tokenize"):
    ...     pass
    >>> list(times.seconds)
    ['tokenize']
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[stage] += time.perf_counter() - start


def _shift(event: Event, offset: int) -> Event:
    t = event.trigger
    return Event(event.type, Span(t.start + offset, t.end + offset, t.text),
                 tuple(Argument(a.role, a.start + offset, a.end + offset, a.text, a.score) for a in event.arguments),
                 event.score)


class EventExtractor:
    """Extract events from raw text with a trained sitrep model.

    ``workers`` > 1 runs that many batches at once on a thread pool, for
    throughput on large inputs (single-sentence latency does not gain); unless
    ``num_threads`` is given, each batch then computes on cores // workers
    threads. ``close()`` (or a ``with`` block) shuts the pool down.
    ``argument_threshold`` (default: the model's, chosen on dev by its training
    run) drops arguments scored below it; 0 keeps every argument decoded.
    ``max_batch_values`` caps a batch's largest activation (windows x padded
    length x the encoder's widest row), closing it before ``batch_size`` where
    windows are long: ``"auto"`` caps on the CPU (``CPU_BATCH_VALUES``), None never.

    >>> with EventExtractor.from_pretrained("models/default") as ex:              # doctest: +SKIP
    ...     (doc,) = ex.extract("Troops fell back from Gao on Monday.")
    >>> [(e.type, e.trigger.text) for e in doc.events]                            # doctest: +SKIP
    [('Retreat', 'fell back')]
    """

    def __init__(self, runner, tokenizer, config: EventModelConfig, batch_size: int = 32, min_score: float = 0.0,
                 metadata: dict[str, Any] | None = None, workers: int = 1, argument_threshold: float | None = None,
                 max_batch_values: int | None | str = "auto"):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        # On a CPU a batch whose activations outgrow the cache runs at half the speed per sentence
        # (benchmarks/README.md, session 8), so batches close early there; None: batch_size alone
        if max_batch_values == "auto":
            max_batch_values = CPU_BATCH_VALUES if runner.device == "cpu" else None
        self.max_batch_values = max_batch_values
        self._row_values = activation_width(config.encoder_config)
        # arguments below the model's calibrated threshold are dropped whatever min_score says; 0 keeps them all
        self.argument_threshold = config.argument_threshold if argument_threshold is None else argument_threshold
        if not 0.0 <= self.argument_threshold <= 1.0:
            raise ValueError(f"argument_threshold must be in [0, 1], got {self.argument_threshold}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        # With several workers, batches run on parallel threads: one thread's tokenizing and decoding
        # (Python, under the GIL) overlaps another's encoder pass (native code, outside it).
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="sitrep") if workers > 1 else None
        self.runner = runner
        self.tokenizer = tokenizer
        self.config = config
        self.labels = LabelSet(Ontology.from_dict(config.ontology))
        self.decoder = BatchDecoder(self.labels)
        self.batch_size = batch_size
        self.min_score = min_score
        self.metadata = metadata or {}
        self._tokenizer_lock = threading.Lock()  # HF fast tokenizers are not safe to share across threads
        self.stage_times: StageTimes | None = None  # set to a StageTimes to measure where extraction spends time

    @property
    def ontology(self) -> Ontology:
        return self.labels.ontology

    @property
    def precision(self) -> str:
        return self.runner.precision

    @property
    def device(self) -> str:
        return self.runner.device

    @property
    def model(self) -> EventModel:
        """The torch model (torch backend only)."""
        if not isinstance(self.runner, TorchRunner):
            raise AttributeError("this extractor runs ONNX graphs; it has no torch model")
        return self.runner.model

    @classmethod
    def from_model(cls, model: EventModel, tokenizer, device: str = "auto", precision: str = "auto",
                   num_threads: int | None = None, **kwargs: Any) -> "EventExtractor":
        """An extractor over an in-memory torch model (as training evaluates it)."""
        threads = threads_per_worker(num_threads, kwargs.get("workers", 1))
        return cls(torch_runner(model, device, precision, threads), tokenizer, model.config, **kwargs)

    @classmethod
    def from_pretrained(cls, directory: str | Path, backend: str = "auto", device: str = "auto",
                        precision: str = "auto", num_threads: int | None = None, **kwargs: Any) -> "EventExtractor":
        """Load a model directory written by ``sitrep train`` (or ``sitrep export onnx``).

        ``backend``: ``torch``, ``onnx`` (ONNX Runtime, CPU; fp32 or int8), or
        ``auto``: ONNX where the directory holds exported graphs, else torch. A
        damaged directory raises ``ModelLoadError`` naming the file and the fix.
        """
        directory = Path(directory)
        config, version = read_model_config(directory)
        threads = threads_per_worker(num_threads, kwargs.get("workers", 1))
        runner = load_runner(directory, backend, device, precision, threads)
        metadata: dict[str, Any] = {"encoder": config.encoder, "model_dir": str(directory),
                                    "sitrep_version": version, "backend": runner.backend}
        if getattr(runner, "timings_ms", None):   # ``auto`` timed its candidates here and kept the fastest
            metadata["precision_timings_ms"] = runner.timings_ms
        metrics = directory / "metrics.json"
        if metrics.is_file():
            metadata["metrics"] = json.loads(metrics.read_text(encoding="utf-8"))
        return cls(runner, _load_tokenizer(directory), config, metadata=metadata, **kwargs)

    def close(self) -> None:
        """Shut down the worker threads (after running batches finish); later calls run batches one by one."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> "EventExtractor":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # ---- public API -------------------------------------------------------------------
    def extract(self, texts: str | Sequence[str], batch_size: int | None = None,
                min_score: float | None = None, split: bool = True) -> list[ExtractedDocument]:
        """Extract events from each text; one ``ExtractedDocument`` per text, in order.

        ``split=False`` treats each text as one sentence (as gold files are).
        """
        texts = check_texts(texts)
        docs: list[ExtractedDocument] = []
        sentence_texts: list[str] = []
        for t in texts:
            spans = split_sentences(t) if split else ([] if not t.strip() else [_whole(t)])
            sents = [ExtractedSentence(s.start, s.end, s.text) for s in spans]
            docs.append(ExtractedDocument(t, sents))
            sentence_texts.extend(s.text for s in sents)
        predictions = iter(self.predict_sentences(sentence_texts, batch_size, min_score))
        for doc in docs:
            for s in doc.sentences:
                s.events = [_shift(e, s.start) for e in next(predictions)]
        return docs

    def predict_records(self, records: Sequence[Sentence], batch_size: int | None = None,
                        min_score: float | None = None) -> list[Sentence]:
        """Predicted copies of sentence records (gold events ignored), each text taken as one sentence."""
        texts = [r.text for r in records]
        events = self.predict_sentences(texts, batch_size, min_score)
        return [Sentence(r.id, r.text, ev, r.doc_id) for r, ev in zip(records, events)]

    def predict_sentences(self, sentences: list[str], batch_size: int | None = None,
                          min_score: float | None = None) -> list[list[Event]]:
        """Events of each sentence, offsets into that sentence."""
        if not sentences:
            return []
        bs = batch_size or self.batch_size
        threshold = self.min_score if min_score is None else min_score
        cfg = self.config
        with self._tokenizer_lock, self._stage("tokenize"):
            windows = tokenize_windows(self.tokenizer, sentences, cfg.max_length, cfg.stride)
        results: list[list[Event]] = [[] for _ in sentences]
        plan = plan_batches([len(w) for w in windows], bs, self._row_values, self.max_batch_values)
        batches = [[windows[i] for i in batch] for batch in plan]

        def run(batch: list[Window]) -> list[list[Event]]:
            return self._run_batch(batch, sentences, threshold)

        pool = self._pool
        outputs = pool.map(run, batches) if pool and len(batches) > 1 else map(run, batches)
        for batch, output in zip(batches, outputs):
            with self._stage("assembly"):
                for w, events in zip(batch, output):
                    results[w.sample].extend(events)
        with self._stage("assembly"):
            results = [merge_same_occurrence(text, drop_unrealized(text, r)) for text, r in zip(sentences, results)]
            for r in results:
                r.sort(key=lambda e: (e.trigger.start, e.trigger.end, e.type))
        return results

    # ---- internals --------------------------------------------------------------------
    def _run_batch(self, batch: list[Window], sentences: list[str], threshold: float) -> list[list[Event]]:
        """The runner's two stages on one batch, with the decoder between and after them."""
        with self._stage("encoder + trigger head"):
            hidden, trigger_probs = self.runner.triggers(*pad_windows(batch, self.tokenizer.pad_token_id or 0))
        with self._stage("trigger decoding"):
            triggers = self.decoder.triggers(batch, trigger_probs, threshold)
        if not triggers:
            return [[] for _ in batch]
        with self._stage("argument head"):
            role_probs = self.runner.arguments(hidden, *self.decoder.argument_inputs(triggers))
        with self._stage("argument decoding"):
            return self.decoder.events(batch, sentences, triggers, role_probs, max(threshold, self.argument_threshold))

    def _stage(self, name: str):
        return self.stage_times(name) if self.stage_times is not None else nullcontext()


def activation_width(encoder_config: dict[str, Any]) -> Callable[[int], int]:
    """Values per token of the encoder's largest activation at a padded length: feed-forward or attention scores."""
    hidden = encoder_config.get("hidden_size") or encoder_config.get("dim") or 768
    ff = encoder_config.get("intermediate_size") or encoder_config.get("hidden_dim") or 4 * hidden
    heads = encoder_config.get("num_attention_heads") or encoder_config.get("n_heads") or 12
    return lambda length: max(ff, heads * length)


def _load_tokenizer(directory: Path):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(directory)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{directory}: the tokenizer files cannot be loaded ({' '.join(str(exc).split())[:200]}); "
                             f"copy the model directory again with its tokenizer.json") from None


def _whole(text: str):
    from inference.splitter import SentenceSpan

    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return SentenceSpan(start, end, text[start:end])
