"""``EventExtractor``: raw text in, events with exact character offsets out.

One code path serves the Python API, ``sitrep extract`` and the HTTP server:
split texts into sentences, tokenize all sentences in one batch call, sort the
windows by length so batches carry little padding, run the encoder once per
window, then the argument head once per batch for all predicted triggers.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from inference.decoding import merge_same_occurrence, best_tags_many, decode_arguments, decode_triggers, make_event
from inference.features import Window, tokenize_windows
from inference.inputs import check_texts
from inference.labels import LabelSet, bio_transitions
from inference.model import EventModel, EventModelConfig, read_model_config
from inference.ontology import Ontology
from inference.records import Argument, Event, Sentence, Span
from inference.runners import ONNX_FILES, TorchRunner
from inference.runtime import resolve_device, resolve_precision
from inference.splitter import split_sentences

__all__ = ["EventExtractor", "ExtractedDocument", "ExtractedSentence"]

logger = logging.getLogger(__name__)


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

    ``to_dict()`` is a record in the ANNOTATION.md format (offsets into ``text``),
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


def _shift(event: Event, offset: int) -> Event:
    t = event.trigger
    return Event(event.type, Span(t.start + offset, t.end + offset, t.text),
                 tuple(Argument(a.role, a.start + offset, a.end + offset, a.text, a.score) for a in event.arguments),
                 event.score)


class EventExtractor:
    """Extract events from raw text with a trained sitrep model.

    ``workers`` > 1 runs that many batches at once on threads, for throughput on
    large inputs (single-sentence latency does not gain). Unless ``num_threads``
    is given, each operation then uses cores // workers threads; torch's thread
    count is process-wide.

    >>> ex = EventExtractor.from_pretrained("models/default")          # doctest: +SKIP
    >>> [d.to_dict()["events"] for d in ex.extract("Troops fell back from Gao on Monday.")]  # doctest: +SKIP
    """

    def __init__(self, runner, tokenizer, config: EventModelConfig, batch_size: int = 32, min_score: float = 0.0,
                 metadata: dict[str, Any] | None = None, workers: int = 1):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
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
        self.batch_size = batch_size
        self.min_score = min_score
        self.metadata = metadata or {}
        self._tokenizer_lock = threading.Lock()  # HF fast tokenizers are not safe to share across threads
        self._trigger_tags = np.array(self.labels.trigger_labels, dtype=object)
        self._role_tags = np.array(self.labels.role_labels, dtype=object)
        self._trigger_bio = bio_transitions(self.labels.trigger_labels)
        self._role_bio = bio_transitions(self.labels.role_labels)

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
        _set_torch_threads(_threads(num_threads, kwargs.get("workers", 1)))
        device = resolve_device(device)
        precision = resolve_precision(precision, device, model.config.cpu_precision)
        return cls(TorchRunner(model, device, precision), tokenizer, model.config, **kwargs)

    @classmethod
    def from_pretrained(cls, directory: str | Path, backend: str = "auto", device: str = "auto",
                        precision: str = "auto", num_threads: int | None = None, **kwargs: Any) -> "EventExtractor":
        """Load a model directory written by ``sitrep train`` (or ``sitrep export onnx``).

        ``backend``: ``torch``, ``onnx`` (ONNX Runtime, CPU; fp32 or int8), or
        ``auto``: ONNX where the directory holds exported graphs, else torch.
        """
        from transformers import AutoTokenizer

        directory = Path(directory)
        config, version = read_model_config(directory)
        if backend == "auto":
            backend = "onnx" if (directory / ONNX_FILES["fp32"][0]).is_file() else "torch"
        metadata: dict[str, Any] = {"encoder": config.encoder, "model_dir": str(directory),
                                    "sitrep_version": version, "backend": backend}
        metrics = directory / "metrics.json"
        if metrics.is_file():
            metadata["metrics"] = json.loads(metrics.read_text(encoding="utf-8"))
        tokenizer = AutoTokenizer.from_pretrained(directory)
        if backend == "torch":
            return cls.from_model(EventModel.from_pretrained(directory), tokenizer, device, precision, num_threads,
                                  metadata=metadata, **kwargs)
        if backend != "onnx":
            raise ValueError(f"backend must be auto, torch or onnx, got {backend!r}")
        if precision not in ("auto", "fp32", "int8"):
            raise ValueError(f"the onnx backend runs fp32 or int8, not {precision!r}")
        if device not in ("auto", "cpu"):
            raise ValueError(f"the onnx backend runs on the CPU, not {device!r}")
        from inference.runners import OnnxRunner

        if precision == "auto":
            int8_ready = config.cpu_precision == "int8" and (directory / ONNX_FILES["int8"][0]).is_file()
            precision = "int8" if int8_ready else "fp32"
        runner = OnnxRunner(directory, precision, _threads(num_threads, kwargs.get("workers", 1)))
        return cls(runner, tokenizer, config, metadata=metadata, **kwargs)

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
        with self._tokenizer_lock:
            windows = tokenize_windows(self.tokenizer, sentences, cfg.max_length, cfg.stride)
        results: list[list[Event]] = [[] for _ in sentences]
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        batches = [[windows[i] for i in order[b:b + bs]] for b in range(0, len(order), bs)]
        run = functools.partial(self._run_batch, sentences=sentences, threshold=threshold)
        outputs = self._pool.map(run, batches) if self._pool and len(batches) > 1 else map(run, batches)
        for batch, output in zip(batches, outputs):
            for w, events in zip(batch, output):
                results[w.sample].extend(events)
        results = [merge_same_occurrence(text, r) for text, r in zip(sentences, results)]
        for r in results:
            r.sort(key=lambda e: (e.trigger.start, e.trigger.end, e.type))
        return results

    # ---- internals --------------------------------------------------------------------
    def _run_batch(self, batch: list[Window], sentences: list[str], threshold: float) -> list[list[Event]]:
        pad = self.tokenizer.pad_token_id or 0
        length = max(len(w) for w in batch)
        ids = np.full((len(batch), length), pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for i, w in enumerate(batch):
            ids[i, :len(w)] = w.input_ids
            mask[i, :len(w)] = 1
        hidden, t_probs = self.runner.triggers(ids, mask)

        pending = []  # (batch row, decoded trigger, first token, last token)
        rows = [i for i, w in enumerate(batch) if w.heads]
        trigger_tags = best_tags_many([t_probs[i, batch[i].heads] for i in rows], self._trigger_tags,
                                      *self._trigger_bio)
        for i, (tags, scores) in zip(rows, trigger_tags):
            w = batch[i]
            for trig in decode_triggers(tags, scores, w.owned):
                if trig.score < threshold:
                    continue
                last_tok = w.heads[trig.last] - 1 if trig.last < len(w.heads) else len(w) - 2
                pending.append((i, trig, w.heads[trig.first], last_tok))
        out: list[list[Event]] = [[] for _ in batch]
        if not pending:
            return out
        ev = np.array([(p[0], p[2], p[3], self.labels.type_id[p[1].type]) for p in pending], dtype=np.int64)
        r_probs = self.runner.arguments(hidden, ev[:, 0], ev[:, 1], ev[:, 2], ev[:, 3])
        role_tags = best_tags_many([r_probs[k, batch[p[0]].heads] for k, p in enumerate(pending)], self._role_tags,
                                   *self._role_bio)
        for (i, trig, _, _), (tags, scores) in zip(pending, role_tags):
            w = batch[i]
            text = sentences[w.sample]
            args = decode_arguments(text, w.word_spans, tags, scores, (trig.first, trig.last), threshold)
            out[i].append(make_event(text, w.word_spans, trig, args))
        return out


def _threads(num_threads: int | None, workers: int) -> int | None:
    """Threads per operation: as asked, else the cores shared out among the workers (None: the library's choice)."""
    if num_threads is not None or workers <= 1:
        return num_threads
    return max(1, (os.cpu_count() or 1) // workers)


def _set_torch_threads(num_threads: int | None) -> None:
    if num_threads is None:
        return
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    import torch

    torch.set_num_threads(num_threads)


def _whole(text: str):
    from inference.splitter import SentenceSpan

    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return SentenceSpan(start, end, text[start:end])

