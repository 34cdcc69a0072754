"""``sitrep bench``: speed of full extraction against the usual alternative, in one run.

On the same sentences: throughput (sentences/s, tokens/s) at batch sizes 1, 8,
32, 128; single-sentence latency percentiles; peak memory (RSS); all for fp32
where the hardware has it, bf16, and int8 (per-row activation scales), then ONNX
Runtime fp32 and int8 (``sitrep export onnx``); the share of sentences whose
events are identical to torch fp32's; and, as the reference a user would otherwise pick,
``transformers.pipeline("token-classification")`` on the same encoder with the
same number of trigger labels, fp32, batch 32 (triggers only: less work).
"""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

from inference.runtime import SPEED_FLAGS

__all__ = ["run_bench", "format_bench"]

BATCH_SIZES = (1, 8, 32, 128)


def cpu_name(cpuinfo: str) -> str:
    """The CPU's name in ``/proc/cpuinfo`` text, with its family, model and stepping.

    Two hosts can share a name and every speed flag ("AMD EPYC", avx512_bf16) and
    still differ twofold in int8 speed (benchmarks/README.md, session 8): the
    family tells which generation produced a number.
    """
    fields = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor's block is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    name = fields.get("model name") or platform.processor() or "unknown"
    ids = [f"{key} {fields[key]}" for key in ("cpu family", "model", "stepping") if fields.get(key)]
    return f"{name} ({', '.join(ids)})" if ids else name


def _cpu_model() -> str:
    try:
        return cpu_name(Path("/proc/cpuinfo").read_text())
    except OSError:
        return cpu_name("")


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def events_key(events) -> list:
    """What "same events" compares: type, trigger offsets and every argument's role and offsets."""
    return [(e.type, e.trigger.start, e.trigger.end,
             sorted((a.role, a.start, a.end) for a in e.arguments)) for e in events]


def _same_share(reference, ex, sentences: list[str]) -> float:
    """Share of ``sentences`` whose events from ``ex`` equal ``reference``'s (type, offsets, roles)."""
    same = sum(events_key(x) == events_key(y) for x, y in zip(reference, ex.predict_sentences(sentences)))
    return round(same / len(sentences), 4)


def _accuracy(ex, gold) -> dict[str, float]:
    """Tri-C and Arg-C F1 of ``ex`` on the gold sentences the timing reads."""
    from inference.scoring import score

    report = score(gold, ex.predict_records(gold))
    return {"tri_c_f1": report["tri_c"]["f1"], "arg_c_f1": report["arg_c"]["f1"]}


def _stage_shares(ex, texts: list[str], batch_size: int = 32) -> dict[str, Any]:
    """Where one extraction of ``texts`` spends its time, stage by stage (seconds and share)."""
    from inference.extractor import STAGES, StageTimes

    ex.stage_times = StageTimes()
    try:
        ex.predict_sentences(texts, batch_size=batch_size)
        seconds = ex.stage_times.seconds
    finally:
        ex.stage_times = None
    total = sum(seconds.values()) or 1.0
    return {stage: {"seconds": round(seconds.get(stage, 0.0), 3), "share": round(seconds.get(stage, 0.0) / total, 3)}
            for stage in STAGES}


def _time_extractor(ex, texts: list[str], n_tokens: int, quick: bool) -> dict[str, Any]:
    import numpy as np

    ex.predict_sentences(texts[:64])  # warm-up: allocator, kernels
    out: dict[str, Any] = {"throughput": {}}
    for bs in BATCH_SIZES:
        sample = texts[:200] if (bs == 1 or quick) else texts
        toks = n_tokens * len(sample) / len(texts)
        t = time.perf_counter()
        ex.predict_sentences(sample, batch_size=bs)
        dt = time.perf_counter() - t
        out["throughput"][str(bs)] = {"sentences_per_s": round(len(sample) / dt, 1),
                                      "tokens_per_s": round(toks / dt, 1), "sentences": len(sample)}
    lat = []
    for text in texts[:50 if quick else 300]:
        t = time.perf_counter()
        ex.predict_sentences([text], batch_size=1)
        lat.append((time.perf_counter() - t) * 1000)
    out["latency_ms"] = {f"p{q}": round(float(np.percentile(lat, q)), 2) for q in (50, 95, 99)}
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    if hasattr(ex, "stage_times"):
        out["stages_b32"] = _stage_shares(ex, texts[:200] if quick else texts)
    return out


def _time_pipeline(model_dir: str, texts: list[str], n_labels: int) -> dict[str, Any]:
    import json

    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from inference.encoder import resolve_encoder

    cfg = json.loads((Path(model_dir) / "config.json").read_text())
    enc = resolve_encoder(cfg["encoder"]) if not cfg["encoder"].startswith("random:") else None
    if enc is None:
        return {"skipped": "model was trained from a random encoder; no pretrained encoder to load"}
    tok = AutoTokenizer.from_pretrained(enc)
    model = AutoModelForTokenClassification.from_pretrained(enc, num_labels=n_labels).eval()
    pipe = pipeline("token-classification", model=model, tokenizer=tok, device=-1)
    pipe(texts[:32], batch_size=32)
    t = time.perf_counter()
    pipe(texts, batch_size=32)
    dt = time.perf_counter() - t
    return {"batch_size": 32, "precision": "fp32", "sentences_per_s": round(len(texts) / dt, 1),
            "sentences": len(texts)}


def _time_onnx(model_dir: str, texts: list[str], gold, n_tokens: int, reference, quick: bool
               ) -> dict[str, Any]:
    """ONNX Runtime fp32 and int8 on the same sentences (the model exported to a temporary folder)."""
    import tempfile

    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return {"skipped": "onnxruntime is not installed (pip install -e '.[onnx]')"}
    from inference.extractor import EventExtractor
    from inference.onnx_export import export_onnx

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        onnx_dir = export_onnx(model_dir, Path(tmp) / "onnx", int8=True)
        for precision in ("fp32", "int8"):
            ex = EventExtractor.from_pretrained(onnx_dir, precision=precision)
            out[precision] = _time_extractor(ex, texts, n_tokens, quick)
            out[precision]["same_events_as_fp32"] = _same_share(reference, ex, [s.text for s in gold])
            out[precision]["accuracy"] = _accuracy(ex, gold)
    return out


def run_bench(model_dir: str, data: Path, min_sentences: int = 1000, quick: bool = False,
              with_pipeline: bool = True) -> dict[str, Any]:
    """Measure everything on the sentences of ``data`` (repeated up to ``min_sentences``)."""
    import torch
    import transformers

    from inference.extractor import EventExtractor
    from inference.records import load_sentences
    from inference.runtime import cpu_speed_flags, cpu_supports_bf16

    gold = load_sentences(data)
    base = [s.text for s in gold]
    if not base:
        raise ValueError(f"{data}: no sentences to time")
    texts = (base * (min_sentences // len(base) + 1))[:max(min_sentences, len(base))]
    result: dict[str, Any] = {
        "data": str(data), "sentences": len(texts), "distinct_sentences": len(base),
        "machine": {"cpu": _cpu_model(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "bf16_native": cpu_supports_bf16() or torch.cuda.is_available(), "cpu_flags": cpu_speed_flags()},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version()},
        "sitrep": {},
    }
    fp32 = EventExtractor.from_pretrained(model_dir, precision="fp32")
    n_tokens = sum(len(ids) for ids in fp32.tokenizer(texts)["input_ids"])
    result["tokens"] = n_tokens
    chosen = EventExtractor.from_pretrained(model_dir)   # what 'auto' chooses here, timing its candidates
    result["auto_precision"] = chosen.precision
    result["auto_timings_ms"] = chosen.metadata.get("precision_timings_ms", {})
    del chosen
    result["sitrep"]["fp32"] = _time_extractor(fp32, texts, n_tokens, quick)
    result["sitrep"]["fp32"]["accuracy"] = _accuracy(fp32, gold)
    reference = fp32.predict_sentences(base)
    if not result["machine"]["bf16_native"]:
        # emulated bf16 computes the same numbers, only slowly: measure its agreement, not its speed
        emulated = EventExtractor.from_pretrained(model_dir, precision="bf16")
        result["sitrep"]["bf16"] = {"skipped": "this CPU has no native bf16 (AMX/AVX512-BF16); not timed",
                                    "same_events_as_fp32": _same_share(reference, emulated, base)}
    for precision in (["bf16"] if result["machine"]["bf16_native"] else []) + ["int8"]:
        ex = EventExtractor.from_pretrained(model_dir, precision=precision)
        result["sitrep"][precision] = _time_extractor(ex, texts, n_tokens, quick)
        result["sitrep"][precision]["same_events_as_fp32"] = _same_share(reference, ex, base)
        result["sitrep"][precision]["accuracy"] = _accuracy(ex, gold)
    cores = os.cpu_count() or 1
    if cores > 1:
        # the default precision again, with one batch per core at once (sitrep extract --workers N)
        with EventExtractor.from_pretrained(model_dir, workers=cores) as ex:
            name = f"{ex.precision}, {cores} workers"
            result["sitrep"][name] = _time_extractor(ex, texts, n_tokens, quick)
            result["sitrep"][name]["same_events_as_fp32"] = _same_share(reference, ex, base)
    result["onnx"] = _time_onnx(model_dir, texts, gold, n_tokens, reference, quick)
    if with_pipeline:
        result["hf_pipeline"] = _time_pipeline(model_dir, texts, len(fp32.labels.trigger_labels))
        best = max(v["sentences_per_s"] for v in result["sitrep"]["fp32"]["throughput"].values())
        if "sentences_per_s" in result["hf_pipeline"]:
            result["ratio_sitrep_fp32_b32_over_pipeline"] = round(
                result["sitrep"]["fp32"]["throughput"]["32"]["sentences_per_s"]
                / result["hf_pipeline"]["sentences_per_s"], 2)
            result["ratio_sitrep_best_over_pipeline"] = round(best / result["hf_pipeline"]["sentences_per_s"], 2)
            auto = result["sitrep"].get(result["auto_precision"], {}).get("throughput")
            if auto:
                result["ratio_auto_best_over_pipeline"] = round(
                    max(v["sentences_per_s"] for v in auto.values()) / result["hf_pipeline"]["sentences_per_s"], 2)
    return result


def _accuracy_line(res: dict[str, Any]) -> str:
    acc = res.get("accuracy")
    return f"Tri-C F1 {acc['tri_c_f1']:.3f}, Arg-C F1 {acc['arg_c_f1']:.3f} on the gold file" if acc else ""


def format_bench(r: dict[str, Any]) -> str:
    """A readable table of ``run_bench``'s result."""
    m = r["machine"]
    lines = [f"{r['sentences']} sentences ({r['distinct_sentences']} distinct, {r['tokens']} tokens) from {r['data']}",
             f"machine: {m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads, bf16 native: "
             f"{m['bf16_native']}; torch {r['versions']['torch']}, transformers {r['versions']['transformers']}",
             f"CPU flags that set the speed: {', '.join(m.get('cpu_flags') or ['none of ' + ', '.join(SPEED_FLAGS)])}",
             f"precision 'auto' (the default of extract and serve) runs this model in {r['auto_precision']} here"
             + (" (timed at load, ms per batch of 32: "
                + ", ".join(f"{p} {ms}" for p, ms in r["auto_timings_ms"].items()) + ")"
                if r.get("auto_timings_ms") else "")]
    for prec, res in r["sitrep"].items():
        if "skipped" in res:
            lines.append(f"sitrep {prec}: skipped ({res['skipped']})")
            if "same_events_as_fp32" in res:
                lines.append(f"  same events as fp32 on {res['same_events_as_fp32']:.1%} of distinct sentences (emulated)")
            continue
        tp = ", ".join(f"b{bs}: {v['sentences_per_s']:.0f} sent/s ({v['tokens_per_s']:.0f} tok/s)"
                       for bs, v in res["throughput"].items())
        lat = res["latency_ms"]
        lines.append(f"sitrep {prec}: {tp}")
        lines.append(f"  latency 1 sentence: p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms; "
                     f"peak RSS so far {res['peak_rss_mb']} MB")
        if "same_events_as_fp32" in res:
            lines.append(f"  same events as fp32 on {res['same_events_as_fp32']:.1%} of distinct sentences")
        if res.get("accuracy"):
            lines.append(f"  {_accuracy_line(res)}")
        if res.get("stages_b32"):
            lines.append("  time by stage at b32: " + ", ".join(
                f"{stage} {v['share']:.0%}" for stage, v in res["stages_b32"].items()))
    for prec, res in r.get("onnx", {}).items():
        if prec == "skipped":
            lines.append(f"onnx: skipped ({res})")
            continue
        tp = ", ".join(f"b{bs}: {v['sentences_per_s']:.0f}" for bs, v in res["throughput"].items())
        lines.append(f"onnxruntime {prec}: {tp} sent/s; latency p50 {res['latency_ms']['p50']} ms; "
                     f"same events as torch fp32 on {res['same_events_as_fp32']:.1%}; {_accuracy_line(res)}")
    if "hf_pipeline" in r:
        hp = r["hf_pipeline"]
        lines.append(f"HF pipeline (token-classification, fp32, b32, triggers only): "
                     f"{hp.get('sentences_per_s', hp.get('skipped'))} sent/s")
    if "ratio_sitrep_fp32_b32_over_pipeline" in r:
        lines.append(f"ratio sitrep/pipeline: {r['ratio_sitrep_fp32_b32_over_pipeline']}x at b32, "
                     f"{r['ratio_sitrep_best_over_pipeline']}x at sitrep's best batch size (both fp32)"
                     + (f", {r['ratio_auto_best_over_pipeline']}x for 'auto' ({r['auto_precision']}) at its best"
                        if "ratio_auto_best_over_pipeline" in r else ""))
    return "\n".join(lines)
