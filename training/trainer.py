"""The training loop, on accelerate: the same code on CPU, one GPU, or several processes.

Run with ``sitrep train --config configs/default.yaml`` (or under
``accelerate launch`` for several devices). Each epoch (and every
``eval_every_steps``) the dev set is scored (Tri-C, Arg-C); the best model is
kept; resumable state is saved under the run's checkpoint folder after each
epoch, apart from the release directory, which is written once at the end,
atomically.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inference.atomic import publish_directory
from inference.extractor import EventExtractor
from inference.model import EventModel, EventModelConfig
from inference.ontology import Ontology
from inference.records import Sentence, load_sentences
from inference.runtime import resolve_precision
from inference.scoring import score
from training.calibration import choose_argument_threshold
from training.config import TrainConfig
from training.dataset import EpochSampler, build_dataset, collate
from training.distill import Distiller
from training.progress import EpochProgress
from training.quantization import make_quantization_aware

__all__ = ["train", "TrainResult", "dev_score"]

INT8_CHECK_BATCH_SIZES = (8, 32, 128)

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What a training run produced."""

    output_dir: Path
    best_dev: dict[str, Any]
    tests: dict[str, dict[str, Any]]            # report per test file, ``data.test`` first
    history: list[dict[str, Any]] = field(default_factory=list)
    wall_time_s: float = 0.0

    @property
    def test(self) -> dict[str, Any] | None:
        """The report on ``data.test`` (the first test file), if one was scored."""
        return next(iter(self.tests.values()), None)


def dev_score(report: dict[str, Any]) -> float:
    """The number that picks the best checkpoint: mean of Tri-C and Arg-C F1."""
    return (report["tri_c"]["f1"] + report["arg_c"]["f1"]) / 2


def _evaluate(model: EventModel, tokenizer, gold: list[Sentence], device: str, precision: str = "fp32",
              batch_size: int = 64) -> dict[str, Any]:
    was_training = model.training
    extractor = EventExtractor.from_model(model, tokenizer, device=device, precision=precision, batch_size=batch_size)
    preds = extractor.predict_records(gold)
    report = score(gold, preds, types=model.ontology.type_names, roles=model.ontology.roles)
    model.train(was_training)
    return report


def _int8_check(model: EventModel, tokenizer, dev: list[Sentence], tolerance: float) -> dict[str, Any] | None:
    """Dev scores in fp32 and int8 on the CPU, and the CPU precision they justify for ``auto``.

    int8 activations are scaled per token (``inference/quantized.py``), so a
    sentence's int8 result does not depend on its batch; int8 is still scored at
    several batch sizes, and the run records each, which shows that it holds on
    the real encoder. fp32 is scored at the extractor's default batch size.
    """
    try:
        fp32 = dev_score(_evaluate(model, tokenizer, dev, "cpu", "fp32", batch_size=32))
        runs = {b: round(dev_score(_evaluate(model, tokenizer, dev, "cpu", "int8", batch_size=b)), 4)
                for b in INT8_CHECK_BATCH_SIZES}
    except (RuntimeError, NotImplementedError) as exc:  # a torch build without a quantized CPU engine
        logger.warning("int8 not measured (%s): precision 'auto' keeps fp32 on CPUs without bf16", exc)
        return None
    int8 = sum(runs.values()) / len(runs)
    drop = round(fp32 - int8, 4)
    choice = "int8" if drop <= tolerance else "fp32"
    logger.info("dev (mean of Tri-C and Arg-C F1) fp32 %.4f, int8 %.4f (batch sizes %s: %s): "
                "on CPUs without bf16 'auto' runs %s", fp32, int8, list(runs), list(runs.values()), choice)
    return {"dev_fp32": round(fp32, 4), "dev_int8": round(int8, 4), "dev_int8_by_batch_size": runs, "drop": drop,
            "tolerance": tolerance, "cpu_precision": choice}


def _argument_threshold(model: EventModel, tokenizer, dev: list[Sentence] | None, device: str, precision: str,
                        fixed: float | None) -> dict[str, Any]:
    """The argument threshold the model is saved with: ``fixed``, else the dev Arg-C F1 maximum."""
    if fixed is not None or not dev:
        return {"threshold": fixed or 0.0, "chosen_on_dev": False}
    extractor = EventExtractor.from_model(model, tokenizer, device=device, precision=precision, batch_size=64,
                                          argument_threshold=0.0)
    threshold, by_threshold = choose_argument_threshold(dev, extractor.predict_records(dev))
    logger.info("argument threshold %.2f: dev Arg-C F1 %.4f (%.4f with none)", threshold,
                by_threshold[str(threshold)], by_threshold["0.0"])
    return {"threshold": threshold, "chosen_on_dev": True, "dev_arg_c_f1_by_threshold": by_threshold}


def _new_model(cfg: TrainConfig, ontology: Ontology):
    from transformers import AutoTokenizer

    m = cfg.model
    heads = m.architecture()
    if m.encoder_config is None:
        return EventModel.from_encoder(m.encoder, ontology, encoder_layers=m.encoder_layers, **heads)
    from inference.encoder import resolve_encoder

    tokenizer = AutoTokenizer.from_pretrained(resolve_encoder(m.tokenizer or m.encoder))
    enc_cfg = dict(m.encoder_config)
    enc_cfg.setdefault("vocab_size", tokenizer.vocab_size)
    config = EventModelConfig(ontology=ontology.to_dict(), encoder=f"random:{enc_cfg.get('model_type', 'bert')}",
                              encoder_config=enc_cfg, **heads)
    return EventModel(config), tokenizer


def _save_release(model: EventModel, tokenizer, directory: Path) -> None:
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def train(cfg: TrainConfig, resume: bool = False) -> TrainResult:
    """Train a model as ``cfg`` says and publish it to ``cfg.run.output_dir``.

    With ``run.deterministic`` (the default) torch's deterministic kernels are used for the
    run: with several CPU threads, some backward passes otherwise add up in a different order
    each run, and two runs of the same config end a point of F1 apart. Both that and
    ``run.num_threads`` hold for the run only: torch's settings are put back after it.
    """
    before = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(cfg.run.deterministic, warn_only=True)
    if cfg.run.num_threads:
        # process-wide on purpose: the data loader, the backward pass and the evaluations all run in this thread
        torch.set_num_threads(cfg.run.num_threads)
    try:
        return _train(cfg, resume)
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.set_num_threads(threads)


def _train(cfg: TrainConfig, resume: bool) -> TrainResult:
    import yaml
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs, set_seed
    from transformers import get_linear_schedule_with_warmup

    t0 = time.time()
    device_kind = "cuda" if torch.cuda.is_available() else "cpu"
    precision = resolve_precision(cfg.run.precision, device_kind)
    # a batch without gold events leaves the argument head unused on that process: DDP must allow it
    ddp = DistributedDataParallelKwargs(find_unused_parameters=True)
    accelerator = Accelerator(mixed_precision="bf16" if precision == "bf16" else "no",
                              gradient_accumulation_steps=cfg.optim.grad_accum, cpu=device_kind == "cpu",
                              kwargs_handlers=[ddp])
    set_seed(cfg.run.seed)
    ontology = Ontology.load(cfg.data.ontology)
    model, tokenizer = _new_model(cfg, ontology)
    if cfg.model.quantization_aware:
        make_quantization_aware(model.encoder)  # dev scores during training are then those of int8 inference
    train_files = [load_sentences(f.path, ontology) for f in cfg.data.train]
    dev = load_sentences(cfg.data.dev, ontology) if cfg.data.dev else None
    # every process tokenizes for itself: seconds, and nothing is cached on disk for others to wait for
    ds = build_dataset(train_files, tokenizer, model.labels, model.config.max_length, model.config.stride)
    sources = [row["source"] for row in ds]
    weights = [f.weight for f in cfg.data.train]
    sampler = EpochSampler(sources, weights, cfg.run.seed, [len(row["input_ids"]) for row in ds],
                           cfg.optim.batch_size)
    rows_per_epoch = len(sampler)
    steps_per_epoch = math.ceil(rows_per_epoch / (cfg.optim.batch_size * accelerator.num_processes
                                                  * cfg.optim.grad_accum))
    # max_steps stops the run early but leaves the schedule as planned: a stopped run is a prefix of the full one
    total_steps = steps_per_epoch * cfg.optim.epochs

    enc_params = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW([
        {"params": enc_params, "lr": cfg.optim.lr_encoder},
        {"params": head_params, "lr": cfg.optim.lr_heads}], weight_decay=cfg.optim.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.optim.warmup_ratio * total_steps), total_steps)
    pad_id = tokenizer.pad_token_id or 0
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.optim.batch_size, sampler=sampler,
                                         collate_fn=functools.partial(collate, pad_id=pad_id))
    model, optimizer, scheduler, loader = accelerator.prepare(model, optimizer, scheduler, loader)
    accelerator.register_for_checkpointing(scheduler)
    unwrapped = accelerator.unwrap_model(model)
    ema = None
    if cfg.optim.ema_decay:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        # parameters only: the model's buffers are fixed masks and positions, nothing to average
        ema = AveragedModel(unwrapped, multi_avg_fn=get_ema_multi_avg_fn(cfg.optim.ema_decay))
        accelerator.register_for_checkpointing(ema)
    # the model that dev scores, the best checkpoint keeps and the release holds
    scored = ema.module if ema is not None else unwrapped

    ckpt = cfg.run.checkpoints
    state = {"epoch": 0, "step": 0, "best": -1.0, "best_report": None, "bad_evals": 0, "history": []}
    if resume and (ckpt / "last" / "trainer_state.json").is_file():
        accelerator.load_state(str(ckpt / "last"))
        state = json.loads((ckpt / "last" / "trainer_state.json").read_text())
        logger.info("resumed from %s at epoch %d, step %d", ckpt / "last", state["epoch"], state["step"])
    elif accelerator.is_main_process and ckpt.exists():
        shutil.rmtree(ckpt)  # a fresh run must not pick up an old best model
    accelerator.wait_for_everyone()

    distiller = Distiller(cfg.distill, unwrapped, tokenizer, accelerator.device) if cfg.distill.teacher else None
    if accelerator.is_main_process:
        logger.info("training %s on %d windows/epoch (%d files), %d steps/epoch x %d epochs, %s, %d process(es)%s",
                    unwrapped.config.encoder, rows_per_epoch, len(train_files), steps_per_epoch, cfg.optim.epochs,
                    precision, accelerator.num_processes,
                    f", distilling from {cfg.distill.teacher}" if distiller else "")

    def evaluate_and_keep(tag: str) -> bool:
        """Score dev, keep the model if best; return True when early stopping says stop."""
        if dev is None:
            return False
        report = _evaluate(scored, tokenizer, dev, str(accelerator.device))
        value = dev_score(report)
        entry = {"at": tag, "step": state["step"], "tri_c_f1": report["tri_c"]["f1"],
                 "arg_c_f1": report["arg_c"]["f1"], "score": round(value, 4)}
        state["history"].append(entry)
        if accelerator.is_main_process:
            logger.info("dev %s: Tri-C %.4f Arg-C %.4f", tag, entry["tri_c_f1"], entry["arg_c_f1"])
        if value > state["best"]:
            state.update(best=value, best_report=report, bad_evals=0)
            if accelerator.is_main_process:
                _save_release(scored, tokenizer, ckpt / "best")
        else:
            state["bad_evals"] += 1
        accelerator.wait_for_everyone()
        patience = cfg.run.early_stopping_patience
        return bool(patience) and state["bad_evals"] >= patience

    stop = False
    model.train()
    for epoch in range(state["epoch"], cfg.optim.epochs):
        if stop or (cfg.optim.max_steps and state["step"] >= cfg.optim.max_steps):
            break
        sampler.set_epoch(epoch)
        loader.set_epoch(epoch)
        progress = EpochProgress(loader, epoch, cfg.optim.epochs, accelerator.is_main_process,
                                 cfg.run.log_every_steps)
        for batch in progress:
            with accelerator.accumulate(model):
                out = model(**batch, role_loss_weight=cfg.optim.role_loss_weight)
                loss = distiller.loss(out, batch, cfg.optim.role_loss_weight) if distiller else out["loss"]
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), cfg.optim.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                if ema is not None and accelerator.sync_gradients:
                    ema.update_parameters(unwrapped)
            progress.batch(batch["input_ids"].shape[0])
            if accelerator.sync_gradients:
                state["step"] += 1
                progress.step(state["step"], loss=loss.item(), trig=out["trigger_loss"].item(),
                              role=out["role_loss"].item())
                every = cfg.run.eval_every_steps
                if every and state["step"] % every == 0:
                    stop = evaluate_and_keep(f"step {state['step']}")
                if stop or (cfg.optim.max_steps and state["step"] >= cfg.optim.max_steps):
                    break
        progress.close()
        if not stop:
            stop = evaluate_and_keep(f"epoch {epoch + 1}")
        state["epoch"] = epoch + 1
        accelerator.save_state(str(ckpt / "last"))
        if accelerator.is_main_process:
            (ckpt / "last" / "trainer_state.json").write_text(json.dumps(state, indent=1))
        accelerator.wait_for_everyone()

    if dev is None and accelerator.is_main_process:
        _save_release(scored, tokenizer, ckpt / "best")  # no dev set: the last model is the one we have
    accelerator.wait_for_everyone()
    wall = time.time() - t0
    tests: dict[str, dict[str, Any]] = {}
    result_dir = Path(cfg.run.output_dir)
    if accelerator.is_main_process:
        best = EventModel.from_pretrained(ckpt / "best")
        int8_check = _int8_check(best, tokenizer, dev, cfg.run.int8_tolerance) if dev else None
        if int8_check:
            best.config.cpu_precision = int8_check["cpu_precision"]
        # the test split is scored as the model runs by default on a CPU without bf16
        test_precision = best.config.cpu_precision if accelerator.device.type == "cpu" else "fp32"
        calibration = _argument_threshold(best, tokenizer, dev, str(accelerator.device), test_precision,
                                          cfg.run.argument_threshold)
        best.config.argument_threshold = calibration["threshold"]
        tests = {path: _evaluate(best, tokenizer, load_sentences(path, ontology), str(accelerator.device),
                                 test_precision) for path in cfg.data.test_files}
        test_report = tests.get(cfg.data.test) if cfg.data.test else None
        metrics = {"dev": state["best_report"], "test": test_report, "tests": tests, "history": state["history"],
                   "train_wall_time_s": round(wall, 1), "precision": precision, "test_precision": test_precision,
                   "int8_check": int8_check, "argument_threshold": calibration,
                   "processes": accelerator.num_processes, "train_files": [f.path for f in cfg.data.train]}

        def build(tmp: Path) -> None:
            _save_release(best, tokenizer, tmp)  # the best checkpoint, cpu_precision and threshold in config.json
            (tmp / "training_config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
            (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1))
            from training.card import model_card

            (tmp / "README.md").write_text(model_card(best, cfg, metrics), encoding="utf-8")

        publish_directory(build, result_dir)
        logger.info("model written to %s (%.0f s)", result_dir, wall)
    accelerator.wait_for_everyone()
    return TrainResult(result_dir, state["best_report"] or {}, tests, state["history"], wall)
