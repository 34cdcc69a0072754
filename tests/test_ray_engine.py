"""Ray Data extraction (local Ray, 2 CPU actors) gives plain `sitrep extract`'s output, record for record."""
import json

import pytest

pytest.importorskip("ray")

from inference.ray_engine import ERRORS_FILE, run_ray_extraction  # noqa: E402
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
    lines = (ROOT / "data" / "seed.jsonl").read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join(lines[:10] + ['{"id": "bad", "txt": "no text field"}', "not json"] + lines[10:]) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out"
    result = run_ray_extraction(str(tiny_model_dir), [str(src)], out, actors=2, batch_size=4)
    assert (result.records_in, result.records_out, result.errors) == (17, 15, 2)
    rows = [json.loads(line) for f in sorted(out.glob("part-*.jsonl")) for line in f.read_text().splitlines()]
    errors = [json.loads(line) for line in (out / ERRORS_FILE).read_text().splitlines()]
    assert {e["id"] for e in errors} == {"bad", "not json"}
    ex = EventExtractor.from_pretrained(tiny_model_dir)
    gold = {json.loads(line)["id"]: json.loads(line) for line in lines}
    assert sorted(r["id"] for r in rows) == sorted(gold)
    for r in rows:
        (doc,) = ex.extract(gold[r["id"]]["text"])
        expected = doc.to_dict()["events"]
        key = lambda evs: [(e["type"], e["trigger"]["start"], [(a["role"], a["start"]) for a in e["arguments"]])  # noqa: E731
                           for e in evs]
        assert key(r["events"]) == key(expected) and r["doc_id"] == "seed-000"


def test_ray_parquet_in_and_out(ray_local, tiny_model_dir, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["Troops fell back.", "", "Rebels ambushed a convoy."]}), src)
    out = tmp_path / "out"
    result = run_ray_extraction(str(tiny_model_dir), [str(tmp_path / "*.parquet")], out, actors=2, batch_size=2,
                                output_format="parquet")
    assert (result.records_in, result.records_out, result.errors) == (3, 3, 0)
    table = pq.read_table(out).to_pylist()
    assert sorted(r["id"] for r in table) == ["a", "b", "c"]
    assert all(isinstance(json.loads(r["events"]), list) for r in table)
    assert (out / ERRORS_FILE).read_text() == ""


def test_ray_cli(ray_local, tiny_model_dir, tmp_path):
    from typer.testing import CliRunner

    from sitrep.cli import app

    res = CliRunner().invoke(app, ["extract", "--engine", "ray", "--actors", "1", "--model", str(tiny_model_dir),
                                   str(ROOT / "data" / "seed.jsonl"), "--output", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "15 records in = 15 written + 0 in" in res.output
    res = CliRunner().invoke(app, ["extract", "--engine", "ray", "--model", str(tiny_model_dir),
                                   str(ROOT / "data" / "seed.jsonl")])
    assert res.exit_code == 1 and "give --output OUT_DIR" in res.output
