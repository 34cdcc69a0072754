"""HTTP service: FastAPI app over one shared ``EventExtractor``.

``POST /extract`` takes ``{"text": "..."}`` or ``{"texts": [...]}`` and returns
the same JSON as ``ExtractedDocument.to_dict()``. One worker thread runs the
model (``inference/batching.py``): the texts of requests that arrive together
share encoder batches, which run ``batch_workers`` at a time so that one
batch's Python work overlaps another's encoder pass, and memory stays bounded
however many clients there are (few malloc arenas, the heap trimmed after
each round); the event loop keeps answering ``/health`` meanwhile.

Errors say what to send instead: a body that is not UTF-8 JSON gets 400, a
Content-Type other than JSON 415, a request over a limit 413, a request with
unknown keys, wrong types or text that is not valid Unicode (a lone
surrogate) 422 naming the key or the text and position, a full queue 503.
"""
import asyncio
import json
import os
import re
import typing
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = ["ServerSettings", "create_app", "app_from_env", "served_precision", "ExtractRequest", "ExtractResponse"]

_SURROGATE = re.compile("[\ud800-\udfff]")


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="one text (a sentence or a whole article)")
    texts: list[str] | None = Field(None, description="several texts")
    min_score: float | None = Field(None, ge=0.0, le=1.0, description="drop events and arguments below this")

    @model_validator(mode="before")
    @classmethod
    def known_keys_and_unicode(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError('the body must be a JSON object: {"text": "..."} or {"texts": ["...", ...]}')
        unknown = sorted(set(data) - set(cls.model_fields))
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(map(repr, unknown))}: a request has 'text' or 'texts', "
                             f"and optionally 'min_score'")
        texts = data.get("texts")
        named = [("text", data.get("text"))] + (
            [(f"texts[{i}]", t) for i, t in enumerate(texts)] if isinstance(texts, list) else [])
        for where, text in named:
            bad = _SURROGATE.search(text) if isinstance(text, str) else None
            if bad:
                # a JSON \ud800-\udfff escape without its other half: no character, and no UTF-8 for it
                raise ValueError(f"{where} has a lone surrogate U+{ord(bad.group()):04X} at position {bad.start()}: "
                                 f"send valid Unicode (a \\uD800-\\uDFFF escape needs its pair)")
        return data

    @model_validator(mode="after")
    def one_of(self):
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' or 'texts'")
        return self


class ArgumentOut(BaseModel):
    role: str
    start: int
    end: int
    text: str
    score: float


class TriggerOut(BaseModel):
    start: int
    end: int
    text: str


class SentenceRef(BaseModel):
    start: int
    end: int


class EventOut(BaseModel):
    type: str
    trigger: TriggerOut
    arguments: list[ArgumentOut]
    score: float
    sentence: SentenceRef


class DocumentOut(BaseModel):
    text: str
    events: list[EventOut]
    sentences: list[SentenceRef]


class ExtractResponse(BaseModel):
    documents: list[DocumentOut]


@dataclass
class ServerSettings:
    """Settings of the HTTP service (also read from ``SITREP_*`` environment variables)."""

    model_dir: str = "models/default"
    max_texts: int = 256                 # texts per request
    max_chars: int = 200_000             # characters per request, all texts together
    batch_size: int = 32                 # windows per encoder batch
    batch_workers: int = 2               # encoder batches of a round run at once, each on cores // batch_workers
                                         # CPU threads: one batch's tokens and decoding (Python) overlap another's
                                         # encoder pass, which a single worker leaves the cores idle for
    precision: str = "auto"
    num_threads: int | None = None
    batch_wait_ms: float = 5.0           # an idle worker waits this long for more requests to batch together
    round_chars: int = 32_000            # characters of queued texts extracted together, sorted by length into
                                         # batches: more pads less, fewer answer sooner; a larger request is
                                         # spread over several rounds
    max_queued_chars: int = 4_000_000    # characters waiting for the worker; a request beyond gets 503

    def __post_init__(self) -> None:
        for name in ("max_texts", "max_chars", "batch_size", "batch_workers", "round_chars", "max_queued_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.batch_wait_ms < 0:
            raise ValueError(f"batch_wait_ms must be >= 0, got {self.batch_wait_ms}")
        if self.max_queued_chars < self.max_chars:
            raise ValueError(f"max_queued_chars ({self.max_queued_chars}) must be at least max_chars "
                             f"({self.max_chars}), or a request within the limits could never be queued")

    @classmethod
    def from_env(cls) -> "ServerSettings":
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            name = f"SITREP_{f.name.upper()}"
            raw = os.environ.get(name)
            if raw is None:
                continue
            kind = next(t for t in typing.get_args(f.type) or (f.type,) if t is not type(None))
            try:
                kwargs[f.name] = kind(raw)
            except ValueError:
                raise ValueError(f"{name}={raw!r}: expected {kind.__name__}") from None
        return cls(**kwargs)

    def to_env(self) -> dict[str, str]:
        return {f"SITREP_{f.name.upper()}": str(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None}


def _media_type_is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def _read_request(request) -> ExtractRequest:
    """The body as an ``ExtractRequest``, or the HTTP error that says what to send instead."""
    from fastapi import HTTPException
    from fastapi.exceptions import RequestValidationError

    content_type = request.headers.get("content-type")
    if content_type is not None and not _media_type_is_json(content_type):
        raise HTTPException(415, f"Content-Type is {content_type!r}: send application/json, "
                                 f'a JSON object such as {{"texts": ["..."]}}')
    body = await request.body()
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"the body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}): "
                                 f"send JSON encoded in UTF-8") from None
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") \
            from None
    try:
        return ExtractRequest.model_validate(data)
    except ValidationError as exc:
        # without the offending input: it may be the whole body, and text that is not Unicode has no JSON
        raise RequestValidationError([e | {"loc": ("body", *e["loc"])}
                                      for e in exc.errors(include_url=False, include_context=False,
                                                          include_input=False)]) from None


def create_app(extractor, settings: ServerSettings):
    """The FastAPI application serving ``extractor`` under ``settings``."""
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse

    from inference import __version__
    from inference.batching import Batcher, QueueFull
    from inference.runtime import release_free_heap

    def extract_round(texts: list[str], min_score: float):
        try:
            return extractor.extract(texts, None, min_score)
        finally:
            # a round's freed blocks (token arrays, activations, records) go back to the OS before the
            # next round: tune_malloc keeps them within a round, and resident memory tracks one round
            release_free_heap()

    batcher = Batcher(extract_round, round_chars=settings.round_chars, wait_s=settings.batch_wait_ms / 1000,
                      max_queued_chars=settings.max_queued_chars)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        batcher.close()

    app = FastAPI(title="sitrep", version=__version__, lifespan=lifespan,
                  description="Event extraction from conflict news: Ambush, Retreat, Coup, Statement.")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metadata")
    def metadata() -> dict[str, Any]:
        return {"sitrep_version": __version__, "ontology": extractor.ontology.to_dict(),
                "encoder": extractor.metadata.get("encoder"), "model_dir": extractor.metadata.get("model_dir"),
                "model_version": extractor.metadata.get("sitrep_version"),
                "training_metrics": extractor.metadata.get("metrics"), "precision": extractor.precision,
                "limits": {"max_texts": settings.max_texts, "max_chars": settings.max_chars},
                "batching": {"batch_size": extractor.batch_size, "batch_workers": extractor.workers,
                             "batch_wait_ms": settings.batch_wait_ms,
                             "round_chars": settings.round_chars, "max_queued_chars": settings.max_queued_chars}}

    # the body is read by hand (_read_request) for errors that say what to send; the schema is declared here
    request_body = {"required": True, "content": {"application/json": {"schema": ExtractRequest.model_json_schema()}}}

    @app.post("/extract", response_model=ExtractResponse, openapi_extra={"requestBody": request_body})
    async def extract(request: Request) -> JSONResponse:
        req = await _read_request(request)
        texts = [req.text] if req.text is not None else req.texts
        if len(texts) > settings.max_texts:
            raise HTTPException(413, f"{len(texts)} texts in one request; the limit is {settings.max_texts}")
        chars = sum(len(t) for t in texts)
        if chars > settings.max_chars:
            raise HTTPException(413, f"{chars} characters in one request; the limit is {settings.max_chars}")
        min_score = extractor.min_score if req.min_score is None else req.min_score
        try:
            docs = await asyncio.wrap_future(batcher.submit(texts, min_score))
        except QueueFull as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from None
        # sent as is: these dicts are to_dict()'s, which FastAPI would otherwise validate again against
        # ExtractResponse on the event loop (the schema stays in the docs through response_model)
        return JSONResponse({"documents": [d.to_dict() for d in docs]})

    return app


def served_precision(settings: ServerSettings) -> str:
    """The precision the service loads its model in: ``settings.precision``, except that ``auto`` on a CPU
    never means bf16.

    A request's answer must not depend on the requests it shares encoder batches
    with, and bf16's matrix products round with the batch's shape (under load, 10
    of 400 answers had other events than alone); int8 with per-row scales and
    fp32 do not. So ``auto`` serves the model's CPU precision (int8 where its
    training measured int8 as accurate as fp32), and ``--precision bf16`` asks
    for bf16 anyway. ONNX directories keep ``auto`` (fp32: their int8 graphs
    are not batch-invariant either).
    """
    from inference.model_config import read_model_config
    from inference.runners import ONNX_FILES
    from inference.runtime import resolve_device

    onnx = (Path(settings.model_dir) / ONNX_FILES["fp32"][0]).is_file()
    if settings.precision != "auto" or onnx or resolve_device("auto") != "cpu":
        return settings.precision
    return read_model_config(settings.model_dir)[0].cpu_precision


def app_from_env():
    """App factory for ``uvicorn --factory`` with several workers: settings come from the environment."""
    from inference.extractor import EventExtractor
    from inference.runtime import tune_malloc

    settings = ServerSettings.from_env()
    tune_malloc(max_arenas=2)  # before the model and the server start their threads
    extractor = EventExtractor.from_pretrained(settings.model_dir, batch_size=settings.batch_size,
                                               precision=served_precision(settings), num_threads=settings.num_threads,
                                               workers=settings.batch_workers)
    return create_app(extractor, settings)
