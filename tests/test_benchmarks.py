"""Benchmark scripts on the tiny model: they run and report what they promise."""
import json

from sitrep.baselines import LexiconBaseline, TfidfBaseline
from benchmarks.learning_curve import subset_by_document
from inference.extractor import STAGES
from inference.runtime import SPEED_FLAGS
from sitrep.bench import cpu_name, format_bench, run_bench
from inference.runtime import precision_candidates
from inference.scoring import sentence_type_rows
from tests.conftest import ROOT


def test_bench_reports_throughput_latency_memory(tiny_model_dir):
    r = run_bench(str(tiny_model_dir), ROOT / "data" / "seed.jsonl", min_sentences=40, quick=True,
                  with_pipeline=False)
    fp32 = r["sitrep"]["fp32"]
    assert set(fp32["throughput"]) == {"1", "8", "32", "128"}
    assert all(v["sentences_per_s"] > 0 for v in fp32["throughput"].values())
    assert fp32["latency_ms"]["p50"] <= fp32["latency_ms"]["p99"] and fp32["peak_rss_mb"] > 0
    assert 0.0 <= r["sitrep"]["int8"]["same_events_as_fp32"] <= 1.0
    assert r["versions"]["torch"] and "cores" in r["machine"]
    # the tiny model was overfitted on this very file: its accuracy is known to be high
    assert fp32["accuracy"]["tri_c_f1"] > 0.5 and 0.0 <= r["sitrep"]["int8"]["accuracy"]["arg_c_f1"] <= 1.0
    cpu_precision = json.loads((tiny_model_dir / "config.json").read_text())["cpu_precision"]
    candidates = precision_candidates("auto", "cpu", cpu_precision)
    assert r["auto_precision"] in candidates
    if len(candidates) > 1:   # timed at load: the faster was kept
        timings = r["auto_timings_ms"]
        assert set(timings) == set(candidates) and timings[r["auto_precision"]] == min(timings.values())
    # the CPU flags the numbers came from, and where the time went, stage by stage
    assert set(r["machine"]["cpu_flags"]) <= set(SPEED_FLAGS)
    stages = fp32["stages_b32"]
    assert list(stages) == list(STAGES) and stages["encoder + trigger head"]["seconds"] > 0
    assert abs(sum(v["share"] for v in stages.values()) - 1.0) < 0.01
    text = format_bench(r)
    assert "sitrep fp32" in text and "Tri-C F1" in text and "precision 'auto'" in text
    assert "CPU flags" in text and "time by stage at b32: tokenize" in text


def test_cpu_name_tells_generations_of_one_name_apart():
    # two hosts both called "AMD EPYC" with the same speed flags ran int8 at 533 and 1,025 sentences/s
    info = ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\n"
            "model name\t: AMD EPYC\nstepping\t: 1\n\nprocessor\t: 1\ncpu family\t: 25\n")
    assert cpu_name(info) == "AMD EPYC (cpu family 26, model 2, stepping 1)"
    assert cpu_name("model name\t: Some CPU\n") == "Some CPU"


def test_lexicon_baseline_longest_match(seed_sentences):
    lex = LexiconBaseline().fit(seed_sentences)
    assert lex.lexicon["according to"] == "Statement"
    (pred,) = lex.predict([seed_sentences[1]])
    assert ("Statement", "According to") in [(e.type, e.trigger.text) for e in pred.events]


def test_tfidf_baseline_predicts_type_sets(seed_sentences):
    types = ["Ambush", "Retreat", "Coup", "Statement"]
    rows = TfidfBaseline(types).fit(seed_sentences).predict_types(seed_sentences)
    # on the sentences it was fitted on, the classifier gives back each sentence's set of types
    assert rows == sentence_type_rows(seed_sentences, types)
    assert any(any(r) for r in rows) and any(not any(r) for r in rows)   # both kinds of sentence are there


def test_learning_curve_subsets_whole_documents(seed_sentences):
    from inference.records import Sentence

    sents = [Sentence(f"d{i}-s{j}", "x", [], f"d{i}") for i in range(10) for j in range(3)]
    sub = subset_by_document(sents, 0.3)
    assert len(sub) == 9 and len({s.doc_id for s in sub}) == 3
    assert subset_by_document(sents, 0.3) == sub  # seeded


def test_load_benchmark_reports_throughput_latency_errors_changes_memory(tiny_model_dir):
    from benchmarks.load import format_load, measure

    r = measure(str(tiny_model_dir), ROOT / "data" / "seed.jsonl", precision="int8", clients=6, requests=18,
                duration_s=60, distinct=5)
    load = r["load"]
    assert r["precision"] == "int8" and load["requests"] == 18 and load["sentences_per_s"] > 0
    assert load["errors"] == 0 and load["changed_answers"] == 0, load["error_samples"]
    assert load["latency_ms"]["p50"] <= load["latency_ms"]["p99"]
    assert r["peak_rss_mb"] >= r["rss_after_start_mb"] > 0 and r["offline_b32_sentences_per_s"] > 0
    assert "changed answers 0" in format_load(r)


def test_malloc_benchmark_measures_speed_and_latency(tiny_model_dir):
    from benchmarks.malloc import measure

    r = measure(str(tiny_model_dir), ROOT / "data" / "seed.jsonl", "fp32", repeats=1, sentences=20)
    assert r["b32_sentences_per_s"] > 0 and r["p50_ms"] > 0


def test_batch_cap_scan_times_every_cap_and_batch_size(tiny_model_dir, tmp_path):
    from benchmarks.batch_cap import BATCH_SIZES, main

    out = tmp_path / "cap.json"
    r = main(["--model", str(tiny_model_dir), "--data", str(ROOT / "data" / "seed.jsonl"), "--precision", "fp32",
              "--caps", "1", "--repeats", "1", "--json", str(out)])
    assert set(r["sentences_per_s"]) == {"none", "1"} and json.loads(out.read_text()) == r
    assert all(set(row) == {str(b) for b in BATCH_SIZES} and min(row.values()) > 0
               for row in r["sentences_per_s"].values())


def test_int8_sensitivity_puts_each_layer_group_back_in_fp32(tiny_model_dir):
    from benchmarks.int8_sensitivity import groups, main

    names = [f"encoder.layer.{b}.{k}" for b in (0, 1) for k in
             ("attention.self.query", "attention.output.dense", "intermediate.dense", "output.dense")]
    g = groups(names)
    assert g["every output.dense"] == ["encoder.layer.0.output.dense", "encoder.layer.1.output.dense"]
    assert g["every attention.output.dense"] == ["encoder.layer.0.attention.output.dense",
                                                 "encoder.layer.1.attention.output.dense"]
    assert g["block 1"] == names[4:] and all(g[n] == [n] for n in names)
    r = main(["--model", str(tiny_model_dir), "--data", str(ROOT / "data" / "seed.jsonl")])
    assert 0.0 <= r["all int8"] <= 1.0 and r["block 0"] >= 0.0 and r["sentences"] > 0


def test_int8_agreement_measures_each_rounding_scheme(tiny_model_dir):
    import torch
    from torch import nn

    from benchmarks.int8_agreement import OutliersInFp32, Smoothed, TwoPass, main
    from inference.quantized import Int8Linear

    torch.manual_seed(0)
    lin, x = nn.Linear(32, 8), torch.randn(5, 32)
    x[:, 3] *= 40  # an outlier channel, as MiniLM's feed-forward inputs have
    exact = lin(x).detach()
    err = {name: (layer(x) - exact).abs().max().item() for name, layer in {
        "int8": Int8Linear(lin), "outliers": OutliersInFp32(lin, torch.tensor([3])),
        "smooth": Smoothed(lin, x.abs().amax(0), 0.5), "two-pass": TwoPass(lin)}.items()}
    # the channel out of int8, or the error rounded again, leave less error than one scale per row
    assert err["outliers"] < err["int8"] and err["two-pass"] < err["int8"] and err["smooth"] < err["int8"]
    seed = str(ROOT / "data" / "seed.jsonl")
    r = main(["--model", str(tiny_model_dir), "--data", seed, "--calibration", seed])
    assert set(r["schemes"]) == {"int8", "smooth 0.5", "outliers 2", "outliers 8", "two-pass"}
    assert all(0 <= row["vs fp32"][seed] <= 1 and row["sentences/s"] > 0 for row in r["schemes"].values())
