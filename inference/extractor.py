"""``EventExtractor``: raw text in, events with exact character offsets out.

One code path serves the Python API, ``sitrep extract`` and the HTTP server:
split texts into sentences, tokenize all sentences in one batch call, sort the
windows by length so batches carry little padding, run the encoder once per
window, then the argument head once per batch for all predicted triggers.
"""
from __future__ import annotations

import json
import logging
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from inference.decoding import best_tags, decode_arguments, decode_triggers, make_event
from inference.features import Window, tokenize_windows
from inference.labels import bio_transitions
from inference.model import EventModel
from inference.ontology import Ontology
from inference.records import Argument, Event, Sentence, Span
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

    >>> ex = EventExtractor.from_pretrained("models/default")          # doctest: +SKIP
    >>> [d.to_dict()["events"] for d in ex.extract("Troops fell back from Gao on Monday.")]  # doctest: +SKIP
    """

    def __init__(self, model: EventModel, tokenizer, device: str = "auto", precision: str = "auto",
                 batch_size: int = 32, min_score: float = 0.0, num_threads: int | None = None,
                 metadata: dict[str, Any] | None = None):
        if num_threads is not None:
            if num_threads < 1:
                raise ValueError(f"num_threads must be >= 1, got {num_threads}")
            torch.set_num_threads(num_threads)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        self.model = model.to(device=self.device, dtype=dtype).eval()
        if self.precision == "int8":
            with warnings.catch_warnings():  # torch announces a future move of this API to torchao; it works here
                warnings.simplefilter("ignore")
                self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.min_score = min_score
        self.metadata = metadata or {}
        self._tokenizer_lock = threading.Lock()  # HF fast tokenizers are not safe to share across threads
        labels = model.labels
        self._trigger_tags = np.array(labels.trigger_labels, dtype=object)
        self._role_tags = np.array(labels.role_labels, dtype=object)
        self._type_id = labels.type_id
        self._trigger_bio = bio_transitions(labels.trigger_labels)
        self._role_bio = bio_transitions(labels.role_labels)

    @property
    def ontology(self) -> Ontology:
        return self.model.ontology

    @classmethod
    def from_pretrained(cls, directory: str | Path, **kwargs: Any) -> "EventExtractor":
        """Load a model directory written by ``sitrep train`` (weights, config, tokenizer)."""
        from transformers import AutoTokenizer

        directory = Path(directory)
        model = EventModel.from_pretrained(directory)
        tokenizer = AutoTokenizer.from_pretrained(directory)
        metadata: dict[str, Any] = {}
        metrics = directory / "metrics.json"
        if metrics.is_file():
            metadata["metrics"] = json.loads(metrics.read_text(encoding="utf-8"))
        metadata["encoder"] = model.config.encoder
        metadata["model_dir"] = str(directory)
        cfg = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        metadata["sitrep_version"] = cfg.get("sitrep_version")
        return cls(model, tokenizer, metadata=metadata, **kwargs)

    # ---- public API -------------------------------------------------------------------
    def extract(self, texts: str | Sequence[str], batch_size: int | None = None,
                min_score: float | None = None, split: bool = True) -> list[ExtractedDocument]:
        """Extract events from each text; one ``ExtractedDocument`` per text, in order.

        ``split=False`` treats each text as one sentence (as gold files are).
        """
        if isinstance(texts, str):
            texts = [texts]
        if texts is None or not isinstance(texts, Sequence):
            raise TypeError(f"texts must be a str or a sequence of str, got {type(texts).__name__}")
        for i, t in enumerate(texts):
            if t is None:
                raise ValueError(f"texts[{i}] is None; pass a string (an empty string gives no events)")
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] must be a str, got {type(t).__name__}")
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
        cfg = self.model.config
        with self._tokenizer_lock:
            windows = tokenize_windows(self.tokenizer, sentences, cfg.max_length, cfg.stride)
        results: list[list[Event]] = [[] for _ in sentences]
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        with torch.inference_mode():
            for b in range(0, len(order), bs):
                batch = [windows[i] for i in order[b:b + bs]]
                for w, events in zip(batch, self._run_batch(batch, sentences, threshold)):
                    results[w.sample].extend(events)
        for r in results:
            r.sort(key=lambda e: (e.trigger.start, e.trigger.end, e.type))
        return results

    # ---- internals --------------------------------------------------------------------
    def _run_batch(self, batch: list[Window], sentences: list[str], threshold: float) -> list[list[Event]]:
        pad = self.tokenizer.pad_token_id or 0
        length = max(len(w) for w in batch)
        ids = torch.full((len(batch), length), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), length), dtype=torch.long)
        for i, w in enumerate(batch):
            ids[i, :len(w)] = torch.tensor(w.input_ids)
            mask[i, :len(w)] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        hidden = self.model.encode(ids, mask)
        t_probs = torch.softmax(self.model.trigger_logits(hidden).float(), -1).cpu().numpy()

        pending = []  # (batch row, decoded trigger, first token, last token)
        for i, w in enumerate(batch):
            if not w.heads:
                continue
            tags, scores = best_tags(t_probs[i, w.heads], self._trigger_tags, *self._trigger_bio)
            for trig in decode_triggers(tags, scores, w.owned):
                if trig.score < threshold:
                    continue
                last_tok = w.heads[trig.last] - 1 if trig.last < len(w.heads) else len(w) - 2
                pending.append((i, trig, w.heads[trig.first], last_tok))
        out: list[list[Event]] = [[] for _ in batch]
        if not pending:
            return out
        dev = self.device
        r_logits = self.model.argument_logits(
            hidden, torch.tensor([p[0] for p in pending], device=dev), torch.tensor([p[2] for p in pending], device=dev),
            torch.tensor([p[3] for p in pending], device=dev),
            torch.tensor([self._type_id[p[1].type] for p in pending], device=dev))
        r_probs = torch.softmax(r_logits.float(), -1).cpu().numpy()
        for k, (i, trig, _, _) in enumerate(pending):
            w = batch[i]
            text = sentences[w.sample]
            tags, scores = best_tags(r_probs[k, w.heads], self._role_tags, *self._role_bio)
            args = decode_arguments(text, w.word_spans, tags, scores, (trig.first, trig.last), threshold)
            out[i].append(make_event(text, w.word_spans, trig, args))
        return out


def _whole(text: str):
    from inference.splitter import SentenceSpan

    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return SentenceSpan(start, end, text[start:end])

