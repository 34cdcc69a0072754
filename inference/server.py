"""HTTP service: FastAPI app over one shared ``EventExtractor``.

``POST /extract`` takes ``{"text": "..."}`` or ``{"texts": [...]}`` and returns
the same JSON as ``ExtractedDocument.to_dict()``. Extraction runs in a thread
pool (the extractor is thread-safe), so the event loop keeps answering
``/health`` while a large request is processed. Request limits are settings;
a request over them gets 413 with a message naming the limit.
"""
import os
from dataclasses import dataclass, fields
from typing import Any

from pydantic import BaseModel, Field, model_validator

__all__ = ["ServerSettings", "create_app", "app_from_env", "ExtractRequest", "ExtractResponse"]


class ExtractRequest(BaseModel):
    text: str | None = Field(None, description="one text (a sentence or a whole article)")
    texts: list[str] | None = Field(None, description="several texts")
    min_score: float | None = Field(None, ge=0.0, le=1.0, description="drop events and arguments below this")

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
    batch_size: int = 32
    precision: str = "auto"
    num_threads: int | None = None

    @classmethod
    def from_env(cls) -> "ServerSettings":
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"SITREP_{f.name.upper()}")
            if raw is not None:
                kwargs[f.name] = raw if f.type in ("str", str) else int(raw)
        return cls(**kwargs)

    def to_env(self) -> dict[str, str]:
        return {f"SITREP_{f.name.upper()}": str(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None}


def create_app(extractor, settings: ServerSettings):
    """The FastAPI application serving ``extractor`` under ``settings``."""
    from fastapi import FastAPI, HTTPException
    from fastapi.concurrency import run_in_threadpool

    from inference import __version__

    app = FastAPI(title="sitrep", version=__version__,
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
                "limits": {"max_texts": settings.max_texts, "max_chars": settings.max_chars}}

    @app.post("/extract", response_model=ExtractResponse)
    async def extract(req: ExtractRequest) -> dict[str, Any]:
        texts = [req.text] if req.text is not None else req.texts
        if len(texts) > settings.max_texts:
            raise HTTPException(413, f"{len(texts)} texts in one request; the limit is {settings.max_texts}")
        chars = sum(len(t) for t in texts)
        if chars > settings.max_chars:
            raise HTTPException(413, f"{chars} characters in one request; the limit is {settings.max_chars}")
        docs = await run_in_threadpool(extractor.extract, texts, None, req.min_score)
        return {"documents": [d.to_dict() for d in docs]}

    return app


def app_from_env():
    """App factory for ``uvicorn --factory`` with several workers: settings come from the environment."""
    from inference.extractor import EventExtractor

    settings = ServerSettings.from_env()
    extractor = EventExtractor.from_pretrained(settings.model_dir, batch_size=settings.batch_size,
                                               precision=settings.precision, num_threads=settings.num_threads)
    return create_app(extractor, settings)
