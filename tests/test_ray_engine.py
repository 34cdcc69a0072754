"""Ray Data extraction (local Ray, 2 CPU actors) gives plain `sitrep extract`'s output, record for record."""
import json
from pathlib import Path

import pytest

pytest.importorskip("ray")

from inference.ray_engine import ERRORS_FILE, ActorSettings, ExtractorActor, run_ray_extraction  # noqa: E402
from tests.conftest import ROOT  # noqa: E402


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_matches_plain_extract_and_reports_bad_records(ray_local, tiny_model_dir, tmp_path):
    from inference import EventExtractor

    src = tmp_path / "in.jsonl"
    lines = (ROOT / "data" / "seed.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    # a raw U+2028 stays inside its record: lines are split at "\n" only
    separated = json.dumps({"id": "sep", "text": "Troops fell back.\u2028Rebels ambushed a convoy.",
                            "doc_id": "seed-000"}, ensure_ascii=False)
    content = "\n".join(lines[:10] + ['{"id": "bad", "txt": "no text field"}', "not json", separated] + lines[10:])
    src.write_bytes(content.encode("utf-8") + b"\n\xff\n")
    out = tmp_path / "out"
    # fp32 in the actors and below: 'auto' times bf16 against int8 at each load and may pick either
    result = run_ray_extraction(str(tiny_model_dir), [str(src)], out, actors=2, records_per_call=4,
                                settings=ActorSettings(precision="fp32"))
    assert (result.records_in, result.records_out, result.errors) == (19, 16, 3)
    rows = [json.loads(line) for f in sorted(out.glob("part-*.jsonl")) for line in f.read_text().split("\n") if line]
    errors = {e["id"]: e["error"] for line in (out / ERRORS_FILE).read_text().split("\n") if line
              for e in [json.loads(line)]}
    assert errors["bad"] == f"{src}:11: text: missing or not a string"
    assert errors["not json"].startswith(f"{src}:12: not valid JSON")
    assert errors[f"{src}:19"].startswith(f"{src}:19: not UTF-8 (invalid start byte at byte 1 of the line)")
    ex = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    gold = {r["id"]: r for r in map(json.loads, lines + [separated])}
    assert sorted(r["id"] for r in rows) == sorted(gold)
    for r in rows:
        (doc,) = ex.extract(gold[r["id"]]["text"])
        expected = doc.to_dict()["events"]
        key = lambda evs: [(e["type"], e["trigger"]["start"], [(a["role"], a["start"]) for a in e["arguments"]])  # noqa: E731
                           for e in evs]
        assert key(r["events"]) == key(expected) and r["doc_id"] == "seed-000"
        assert r["text"] == gold[r["id"]]["text"]


def test_actor_settings_reach_the_extractor(tiny_model_dir):
    import torch

    settings = ActorSettings(batch_size=7, min_score=0.5, precision="fp32", device="cpu",
                             num_threads=torch.get_num_threads(), workers=2)
    actor = ExtractorActor(str(tiny_model_dir), settings)
    ex = actor.extractor
    assert (ex.batch_size, ex.min_score, ex.precision, ex.device, ex.workers) == (7, 0.5, "fp32", "cpu", 2)
    with pytest.raises(ValueError, match="use cuda"):
        ActorSettings(device="cuda:1")


def test_ray_parquet_in_and_out(ray_local, tiny_model_dir, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["Troops fell back.", "", "Rebels ambushed a convoy."]}), src)
    out = tmp_path / "out"
    result = run_ray_extraction(str(tiny_model_dir), [str(tmp_path / "*.parquet")], out, actors=2,
                                records_per_call=2, output_format="parquet")
    assert (result.records_in, result.records_out, result.errors) == (3, 3, 0)
    table = pq.read_table(out).to_pylist()
    assert sorted(r["id"] for r in table) == ["a", "b", "c"]
    assert all(isinstance(json.loads(r["events"]), list) for r in table)
    assert (out / ERRORS_FILE).read_text() == ""


def test_ray_cli(ray_local, tiny_model_dir, tmp_path):
    from typer.testing import CliRunner

    from sitrep.cli import app

    src = tmp_path / "in.jsonl"
    src.write_text((ROOT / "data" / "seed.jsonl").read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    args = ["extract", "--engine", "ray", "--actors", "1", "--model", str(tiny_model_dir), str(src)]
    res = CliRunner().invoke(app, args + ["--output", str(tmp_path / "out")])
    assert res.exit_code == 1 and "16 records in = 15 written + 1 in" in res.output
    assert "pass --skip-bad to accept" in res.output
    res = CliRunner().invoke(app, args + ["--output", str(tmp_path / "out2"), "--skip-bad"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["extract", "--engine", "ray", "--model", str(tiny_model_dir),
                                   str(ROOT / "data" / "seed.jsonl")])
    assert res.exit_code == 1 and "give --output OUT_DIR" in res.output


def test_ray_cli_honours_or_refuses_every_option(tiny_model_dir, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import inference.ray_engine
    from sitrep.cli import app

    calls = []

    def fake_run(model_dir, inputs, output_dir, **kwargs):
        calls.append(kwargs)
        return inference.ray_engine.RayRunResult(1, 1, 0, Path(output_dir))

    monkeypatch.setattr(inference.ray_engine, "run_ray_extraction", fake_run)
    base = ["extract", "--engine", "ray", "--model", str(tiny_model_dir), "x.jsonl", "-o", str(tmp_path)]
    res = CliRunner().invoke(app, base + ["--batch-size", "7", "--min-score", "0.4", "--precision", "fp32",
                                          "--device", "cpu", "--threads", "3", "--workers", "2", "--actors", "5"])
    assert res.exit_code == 0, res.output
    assert calls[0]["settings"] == ActorSettings(batch_size=7, min_score=0.4, precision="fp32", device="cpu",
                                                 num_threads=3, workers=2) and calls[0]["actors"] == 5
    for extra, message in ((["--format", "pretty"], "--format pretty needs --engine local"),
                           (["--device", "cuda:1"], "Ray assigns each actor its GPU: use cuda"),
                           (["--workers", "0"], "workers must be >= 1")):
        res = CliRunner().invoke(app, base + extra)
        assert res.exit_code == 1 and message in res.output, res.output
    assert len(calls) == 1
