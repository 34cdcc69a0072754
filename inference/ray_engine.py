"""Corpus-scale extraction on Ray Data: ``sitrep extract --engine ray``.

Input lines (JSONL, read as bytes and split at "\\n" only, so that any extra
fields, gold events included, never upset a schema and a raw U+2028 in a text
never splits a record) or Parquet rows (``id``, ``text``, optional ``doc_id``)
flow through ``map_batches`` into an actor pool; each actor loads
``EventExtractor`` once, with the ``ActorSettings`` given, and extracts a batch
in one call. A record that cannot be read or extracted becomes an error row
(its id and the reason, with FILE:LINE for a JSONL line) instead of stopping
the run, so every input record comes out either as a result or as an error.
Results are written as JSONL shards (the same lines as plain ``sitrep
extract``) or Parquet (``events`` as a JSON string column) under the output
folder, errors to ``_errors.jsonl`` there.

Without an address a local Ray starts on this machine; with one, the run
joins that cluster (every node needs this package installed and the model
directory at the same path, e.g. on shared storage).
"""
from __future__ import annotations

import glob
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from inference.inputs import InputRecord, parse_input_line
from inference.jsonl import split_lines

__all__ = ["ActorSettings", "RayRunResult", "run_ray_extraction", "ExtractorActor", "ERRORS_FILE"]

# the leading underscore keeps Parquet readers (pyarrow datasets) from taking it for a data file
ERRORS_FILE = "_errors.jsonl"


@dataclass
class RayRunResult:
    records_in: int
    records_out: int
    errors: int
    output_dir: Path


@dataclass(frozen=True)
class ActorSettings:
    """How each actor's extractor runs: ``sitrep extract``'s options, applied in every actor."""

    batch_size: int = 32      # sentences per encoder batch
    min_score: float = 0.0    # events and arguments scored below this are dropped
    precision: str = "auto"   # as EventExtractor.from_pretrained
    device: str = "auto"      # cpu | cuda (Ray reserves one GPU per actor) | auto (cuda if there is a GPU per actor)
    num_threads: int = 1      # torch threads per actor; Ray reserves half a CPU per thread for it
    workers: int = 1          # batches run at once inside an actor

    def __post_init__(self) -> None:
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda with Ray, got {self.device!r} "
                             "(Ray assigns each actor its GPU: use cuda)")
        for name in ("batch_size", "num_threads", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


class ExtractorActor:
    """One per Ray actor: loads the model once, then extracts whole batches."""

    def __init__(self, model_dir: str, settings: ActorSettings):
        from inference.extractor import EventExtractor

        self.extractor = EventExtractor.from_pretrained(
            model_dir, batch_size=settings.batch_size, min_score=settings.min_score, precision=settings.precision,
            device=settings.device, num_threads=settings.num_threads, workers=settings.workers)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        records: list[InputRecord | None] = []
        reasons: list[str | None] = []
        names: list[str] = []
        if "line" in batch:
            for line, where, problem in zip(batch["line"], batch["where"], batch["problem"]):
                rec, why, name = (None, problem, where) if problem else parse_input_line(str(line))
                records.append(rec)
                reasons.append(f"{where}: {why}" if why else None)
                names.append(name)
        else:
            for i in range(len(batch["text"])):
                rid, text = str(batch["id"][i]), batch["text"][i]
                doc = batch["doc_id"][i] if "doc_id" in batch else None
                ok = isinstance(text, str)
                records.append(InputRecord(rid, text, doc) if ok else None)
                reasons.append(None if ok else "text: missing or not a string")
                names.append(rid)
        good = [k for k, r in enumerate(records) if r is not None]
        results: dict[int, str] = {}
        try:
            docs = self.extractor.extract([records[k].text for k in good])
            results = {k: json.dumps(d.to_dict()["events"], ensure_ascii=False) for k, d in zip(good, docs)}
        except Exception:  # noqa: BLE001 - isolate the failing record(s) instead of losing the batch
            for k in good:
                try:
                    results[k] = json.dumps(self.extractor.extract(records[k].text)[0].to_dict()["events"],
                                            ensure_ascii=False)
                except Exception as exc:  # noqa: BLE001 - reported per record in the errors file
                    reasons[k] = f"extraction failed: {type(exc).__name__}: {exc}"
        ids, doc_ids, texts, events, errors = [], [], [], [], []
        for k, rec in enumerate(records):
            ids.append(names[k])
            doc_ids.append(rec.doc_id if rec and rec.doc_id else "")
            texts.append(rec.text if rec else "")
            events.append(results.get(k, ""))
            errors.append(reasons[k] or ("" if k in results else "no result"))
        return {"id": np.array(ids, dtype=object), "doc_id": np.array(doc_ids, dtype=object),
                "text": np.array(texts, dtype=object), "events": np.array(events, dtype=object),
                "error": np.array(errors, dtype=object)}


def _file_lines(row: dict[str, Any]) -> list[dict[str, str]]:
    """The non-blank lines of one input file, each with its FILE:LINE and why it cannot be read ("" if it can)."""
    return [{"line": line.text or "", "where": f"{row['path']}:{line.number}", "problem": line.problem or ""}
            for line in split_lines(row["bytes"])]


def _expand(inputs: list[str]) -> list[str]:
    paths: list[str] = []
    for pattern in inputs:
        found = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        paths.extend(found)
    missing = [p for p in paths if not Path(p).is_file()]
    if not paths or missing:
        raise FileNotFoundError(f"no input files match {inputs}" if not paths else f"not found: {missing}")
    return paths


def _write_shard(output_dir: Path, index: int, rows: list[dict[str, Any]]) -> None:
    from inference.records import write_jsonl

    write_jsonl(output_dir / f"part-{index:05d}.jsonl", rows)


def run_ray_extraction(model_dir: str, inputs: list[str], output_dir: str | Path, address: str | None = None,
                       actors: int = 2, settings: ActorSettings | None = None, output_format: str = "jsonl",
                       records_per_call: int = 256, shard_size: int = 10_000) -> RayRunResult:
    """Extract every input record on Ray; write results and errors under ``output_dir``.

    ``records_per_call`` records go to an actor at once; ``settings.batch_size`` is the encoder's batch inside it.
    """
    import ray

    from inference.atomic import atomic_open

    settings = settings or ActorSettings()
    if output_format not in ("jsonl", "parquet"):
        raise ValueError(f"output format must be jsonl or parquet, got {output_format!r}")
    paths = _expand(inputs)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    if settings.device == "auto":
        gpus = ray.cluster_resources().get("GPU", 0)
        settings = replace(settings, device="cuda" if gpus >= actors else "cpu")
    parquet = [p for p in paths if p.endswith(".parquet")]
    lines = [p for p in paths if not p.endswith(".parquet")]
    parts = []
    if lines:
        parts.append(ray.data.read_binary_files(lines, include_paths=True).flat_map(_file_lines))
    if parquet:
        parts.append(ray.data.read_parquet(parquet))
    ds = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    out = ds.map_batches(ExtractorActor, fn_constructor_kwargs={"model_dir": str(model_dir), "settings": settings},
                         batch_size=records_per_call, compute=ray.data.ActorPoolStrategy(size=actors),
                         # a fraction of a logical CPU per actor leaves room for the read tasks, which
                         # would otherwise wait forever for a CPU held by an idle actor
                         num_cpus=0.5 * settings.num_threads, num_gpus=1 if settings.device == "cuda" else 0,
                         batch_format="numpy")
    n_in = n_out = 0
    if output_format == "parquet":
        out = out.materialize()
        n_in = out.count()
        good = out.filter(lambda r: not r["error"])
        good.drop_columns(["error"]).write_parquet(str(output_dir))
        n_out = good.count()
        bad_rows = out.filter(lambda r: bool(r["error"])).take_all()
    else:
        bad_rows, rows = [], []
        for batch in out.iter_batches(batch_format="numpy", batch_size=1024):
            for k in range(len(batch["id"])):
                n_in += 1
                if batch["error"][k]:
                    bad_rows.append({"id": batch["id"][k], "error": batch["error"][k]})
                    continue
                row: dict[str, Any] = {"id": batch["id"][k]}
                if batch["doc_id"][k]:
                    row["doc_id"] = batch["doc_id"][k]
                row.update(text=batch["text"][k], events=json.loads(batch["events"][k]))
                rows.append(row)
                n_out += 1
                if len(rows) == shard_size:
                    _write_shard(output_dir, n_out // shard_size - 1, rows)
                    rows = []
        if rows or n_out == 0:
            _write_shard(output_dir, (n_out - 1) // shard_size if n_out else 0, rows)
    with atomic_open(output_dir / ERRORS_FILE) as f:
        for r in bad_rows:
            f.write(json.dumps({"id": str(r["id"]), "error": str(r["error"])}, ensure_ascii=False) + "\n")
    return RayRunResult(n_in, n_out, len(bad_rows), output_dir)
