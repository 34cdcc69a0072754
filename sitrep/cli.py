"""``sitrep``: train, extract, evaluate, score, bench, serve, and data tools.

Heavy imports happen inside each command, so ``sitrep --help`` is instant.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from sitrep.data_cli import data_app

if TYPE_CHECKING:
    from inference.ray_engine import ActorSettings

app = typer.Typer(help="sitrep: event extraction from conflict news (Ambush, Retreat, Coup, Statement).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(data_app, name="data")
export_app = typer.Typer(help="Export a model to other runtimes.", no_args_is_help=True)
app.add_typer(export_app, name="export")

ModelOpt = typer.Option("models/default", "--model", "-m", help="Model directory written by `sitrep train`.")
PrecisionOpt = typer.Option("auto", help="auto | fp32 | bf16 | int8 (auto: bf16 where the CPU/GPU has it, else the "
                            "model's CPU precision: int8 when its training measured int8 as accurate as fp32 on dev, "
                            "else fp32; int8: the encoder in int8 with per-token scales, CPU only).")




def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


# the packages each extra of pyproject.toml brings, as the commands that need them import them
EXTRAS = {"train": ("accelerate",), "serve": ("fastapi", "uvicorn"), "plots": ("matplotlib",),
          "scale": ("ray",), "onnx": ("onnx", "onnxruntime")}


def require_extra(extra: str, what: str) -> None:
    """Stop with the install command unless every package of the optional dependency group ``extra`` is there."""
    import importlib.util

    missing = [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]
    if missing:
        fail(f"{what} needs {', '.join(missing)}, which is not installed: "
             f"install the {extra} extra: pip install -e '.[{extra}]'")


def require_model(model: str) -> None:
    """Stop with a clear error unless ``model`` is a model directory this sitrep loads (config and weights)."""
    from inference.model import check_model_dir

    try:
        check_model_dir(model)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))


def load_extractor(model: str, **kwargs):
    """The extractor of ``model``, or a clear error when the directory is not a model."""
    from inference.extractor import EventExtractor

    try:
        return EventExtractor.from_pretrained(model, **kwargs)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))


@app.command()
def train(config: Path = typer.Option(Path("configs/default.yaml"), "--config", "-c", help="YAML training config."),
          set_: list[str] = typer.Option([], "--set", help="Override a config value: --set optim.epochs=3 (repeatable)."),
          resume: bool = typer.Option(False, help="Continue from the run's last checkpoint."),
          dry_run: bool = typer.Option(False, help="Validate the config and the data, print the config resolved; "
                                                   "train nothing.")):
    """Train a model from a config; writes the model directory atomically."""
    import yaml

    from training.config import ConfigError, load_config

    try:
        cfg = load_config(config, set_)
    except ConfigError as exc:
        fail(str(exc))
    _check_training_data(cfg)
    if dry_run:
        typer.echo(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        return
    require_extra("train", "sitrep train")
    _setup_logging()
    from training.trainer import train as run_training

    result = run_training(cfg, resume=resume)
    if result.best_dev:
        typer.echo(f"dev: Tri-C F1 {result.best_dev['tri_c']['f1']:.4f}  Arg-C F1 {result.best_dev['arg_c']['f1']:.4f}")
    for path, report in result.tests.items():
        typer.echo(f"test {path}: Tri-C F1 {report['tri_c']['f1']:.4f}  Arg-C F1 {report['arg_c']['f1']:.4f}")
    typer.echo(f"model: {result.output_dir}  ({result.wall_time_s:.0f} s)")


def _check_training_data(cfg) -> None:
    """Stop before training when a data file of ``cfg`` breaks the contract; every problem as FILE:LINE."""
    from inference.ontology import Ontology, OntologyError
    from inference.validation import check_file

    try:
        ontology = Ontology.load(cfg.data.ontology)
    except OntologyError as exc:
        fail(str(exc))
    paths = [f.path for f in cfg.data.train] + ([cfg.data.dev] if cfg.data.dev else []) + cfg.data.test_files
    problems = [p for path in paths for p in check_file(path, ontology).problems]
    for p in problems:
        typer.echo(str(p), err=True)
    if problems:
        fail(f"{len(problems)} problem(s) in the data (the contract is docs/ANNOTATION.md section 1); "
             "fix them; nothing was trained")


@app.command()
def extract(inputs: list[str] = typer.Argument(..., help=".jsonl files (id, text per line), .txt files, or - for stdin."),
            model: str = ModelOpt,
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write JSONL here (default: stdout)."),
            fmt: str = typer.Option("jsonl", "--format", help="jsonl | pretty"),
            skip_bad: bool = typer.Option(False, "--skip-bad", help="Report bad input lines and go on without them "
                                                                   "(--engine ray always goes on, and exits 1 after "
                                                                   "a run with bad records unless this is given)."),
            batch_size: int = typer.Option(32, help="Sentences per encoder batch."),
            min_score: float = typer.Option(0.0, help="Drop events and arguments scored below this."),
            precision: str = PrecisionOpt,
            device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N (--engine ray: auto | cpu | cuda, "
                                                    "a GPU per actor)"),
            threads: Optional[int] = typer.Option(None, help="CPU threads per operation (default: the library's choice, "
                                                             "or cores // workers; --engine ray: per actor, default 1)."),
            workers: int = typer.Option(1, help="Batches run at once on threads: more sentences/s on several "
                                                "cores for large inputs."),
            engine: str = typer.Option("local", help="local | ray (Ray Data: --output is a folder of shards)."),
            address: Optional[str] = typer.Option(None, help="Ray cluster address (default: start a local Ray)."),
            actors: int = typer.Option(2, help="Ray actors, each holding one model."),
            output_format: str = typer.Option("jsonl", "--output-format", help="Ray output: jsonl | parquet.")):
    """Extract events from texts; one output line per input record, offsets into its text."""
    from inference.records import write_jsonl
    from sitrep.io import read_inputs

    if engine not in ("local", "ray"):
        fail(f"--engine must be local or ray, got {engine!r}")
    if fmt not in ("jsonl", "pretty"):
        fail(f"--format must be jsonl or pretty, got {fmt!r}")
    if engine == "ray":
        from inference.ray_engine import ActorSettings

        if fmt != "jsonl":
            fail("--format pretty needs --engine local; --engine ray writes shards (--output-format jsonl | parquet)")
        try:
            settings = ActorSettings(batch_size=batch_size, min_score=min_score, precision=precision, device=device,
                                     num_threads=1 if threads is None else threads, workers=workers)
        except ValueError as exc:
            fail(f"--engine ray: {exc}")
        _extract_on_ray(model, inputs, output, address, actors, settings, output_format, skip_bad)
        return
    if address is not None or output_format != "jsonl":
        fail("--address and --output-format are options of --engine ray")
    records, errors = read_inputs(inputs)
    for e in errors:
        typer.echo(f"bad input: {e}", err=True)
    if errors and not skip_bad:
        fail(f"{len(errors)} bad input line(s); fix them or pass --skip-bad (nothing was written)")
    ex = load_extractor(model, batch_size=batch_size, min_score=min_score, precision=precision, device=device,
                        num_threads=threads, workers=workers)
    from tqdm.auto import tqdm

    chunk = 256
    docs = []
    with tqdm(total=len(records), unit="doc", disable=len(records) < 2 * chunk, file=sys.stderr) as bar:
        for k in range(0, len(records), chunk):
            docs.extend(ex.extract([r.text for r in records[k:k + chunk]]))
            bar.update(len(records[k:k + chunk]))
    if fmt == "pretty":
        from sitrep.pretty import format_document

        text = "\n\n".join(format_document(d, title=r.id) for r, d in zip(records, docs)) + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            typer.echo(text, nl=False)
        return
    rows = []
    for r, d in zip(records, docs):
        row = {"id": r.id}
        if r.doc_id is not None:
            row["doc_id"] = r.doc_id
        row.update(text=d.text, events=d.to_dict()["events"])
        rows.append(row)
    if output:
        write_jsonl(output, rows)
    else:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


def _extract_on_ray(model: str, inputs: list[str], output: Optional[Path], address: Optional[str], actors: int,
                    settings: ActorSettings, output_format: str, skip_bad: bool) -> None:
    require_extra("scale", "--engine ray")
    from inference.ray_engine import ERRORS_FILE, run_ray_extraction

    if output is None:
        fail("--engine ray writes shards into a folder: give --output OUT_DIR")
    require_model(model)
    try:
        r = run_ray_extraction(str(Path(model).resolve()), inputs, output, address=address, actors=actors,
                               settings=settings, output_format=output_format)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    errors_file = r.output_dir / ERRORS_FILE
    typer.echo(f"{r.records_in} records in = {r.records_out} written + {r.errors} in {errors_file}")
    if r.errors and not skip_bad:
        fail(f"{r.errors} bad input record(s), each with its reason in {errors_file}; the others were written. "
             "Fix them, or pass --skip-bad to accept a run with bad records")


@app.command()
def score(gold: Path = typer.Argument(..., help="Gold JSONL file."),
          pred: Path = typer.Argument(..., help="Predicted JSONL file (same ids and texts)."),
          json_out: Optional[Path] = typer.Option(None, "--json", help="Write the full report as JSON here.")):
    """Score predictions against gold (docs/ANNOTATION.md section 6)."""
    from sitrep.report import format_report
    from inference.atomic import write_json
    from inference.records import RecordError, load_sentences
    from inference.scoring import score as run_score

    try:
        report = run_score(load_sentences(gold), load_sentences(pred))
    except (RecordError, ValueError) as exc:
        fail(str(exc))
    typer.echo(format_report(report))
    if json_out:
        write_json(json_out, report)


@app.command()
def evaluate(model: str = ModelOpt,
             data: Path = typer.Option(Path("data/test.jsonl"), help="Gold JSONL file to evaluate on."),
             json_out: Optional[Path] = typer.Option(None, "--json", help="Write the report as JSON here."),
             plot: Optional[Path] = typer.Option(None, help="Save a confusion-matrix heat map (PNG) here."),
             errors: Optional[Path] = typer.Option(None, help="Write false positives/negatives (JSONL) here."),
             baselines: bool = typer.Option(False, help="Also score the lexicon and TF-IDF baselines."),
             train_data: Path = typer.Option(Path("data/train.jsonl"), "--train-data",
                                             help="Training file the baselines learn from."),
             precision: str = PrecisionOpt):
    """Run the model on a gold file and score it; optional plot, error file and baselines."""
    if plot:
        require_extra("plots", "--plot")
    from sitrep.evaluation import run_evaluation

    ex = load_extractor(model, precision=precision)
    try:
        text = run_evaluation(ex, data, json_out=json_out, plot=plot, errors=errors,
                              baselines_train=train_data if baselines else None)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    typer.echo(text)


@app.command()
def bench(model: str = ModelOpt,
          data: Path = typer.Option(Path("data/dev.jsonl"), help="Sentences to time (JSONL)."),
          json_out: Optional[Path] = typer.Option(None, "--json", help="Write the results as JSON here."),
          min_sentences: int = typer.Option(1000, help="Repeat the file's sentences up to this many."),
          quick: bool = typer.Option(False, help="Fewer repetitions (smoke test)."),
          pipeline: bool = typer.Option(True, help="Also time the HF token-classification pipeline.")):
    """Throughput, latency and memory of full extraction, fp32 and bf16, against the HF pipeline."""
    from sitrep.bench import format_bench, run_bench
    from inference.atomic import write_json

    require_model(model)
    result = run_bench(model, data, min_sentences=min_sentences, quick=quick, with_pipeline=pipeline)
    typer.echo(format_bench(result))
    if json_out:
        write_json(json_out, result)


@app.command()
def serve(model: str = ModelOpt,
          host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          workers: int = typer.Option(1, help="Worker processes (each loads the model)."),
          max_texts: int = typer.Option(256, help="Most texts per request (413 above)."),
          max_chars: int = typer.Option(200_000, help="Most characters per request (413 above)."),
          precision: str = PrecisionOpt,
          threads: Optional[int] = typer.Option(None, help="CPU threads per encoder batch (default: cores // "
                                                                 "batch-workers)."),
          batch_size: int = typer.Option(32, help="Windows per encoder batch."),
          batch_workers: int = typer.Option(2, help="Encoder batches run at once in each worker process, each on "
                                                    "cores // batch-workers threads (unless --threads)."),
          batch_wait_ms: float = typer.Option(5.0, help="How long an idle worker waits for more requests to batch "
                                                        "together."),
          round_chars: int = typer.Option(32_000, help="Characters of queued texts extracted together in one round."),
          max_queued_chars: int = typer.Option(4_000_000, help="Characters waiting for the model; a request beyond "
                                                               "gets 503 with Retry-After.")):
    """Serve POST /extract, GET /health, GET /metadata and OpenAPI docs at /docs."""
    import os

    require_extra("serve", "sitrep serve")
    import uvicorn

    from inference.server import ServerSettings

    require_model(model)
    try:
        settings = ServerSettings(model_dir=model, max_texts=max_texts, max_chars=max_chars, precision=precision,
                                  num_threads=threads, batch_size=batch_size, batch_workers=batch_workers,
                                  batch_wait_ms=batch_wait_ms, round_chars=round_chars,
                                  max_queued_chars=max_queued_chars)
    except ValueError as exc:
        fail(str(exc))
    os.environ.update(settings.to_env())
    uvicorn.run("inference.server:app_from_env", factory=True, host=host, port=port, workers=workers)


@export_app.command("onnx")
def export_onnx(model: str = ModelOpt,
                output: Path = typer.Option(..., "--output", "-o", help="Directory to write (model files + graphs)."),
                int8: bool = typer.Option(False, "--int8", help="Also write int8 graphs (ONNX Runtime's dynamic "
                                          "quantization: per-tensor input scales, so answers can depend on the "
                                          "batch; they run only with --precision int8).")):
    """Export encoder and heads to ONNX; the output directory loads with EventExtractor.from_pretrained."""
    require_extra("onnx", "sitrep export onnx")
    from inference.onnx_export import export_onnx as run_export

    require_model(model)
    out = run_export(model, output, int8=int8)
    typer.echo(f"ONNX model written to {out} (load it with --model {out}; --precision int8 uses the int8 graphs)")


def main() -> None:
    from inference.runtime import tune_malloc

    tune_malloc()  # freed tensors stay in the heap for the next batch: faster extraction (inference/runtime.py)
    app()


if __name__ == "__main__":
    main()
