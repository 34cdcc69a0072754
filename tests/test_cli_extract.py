"""`sitrep extract` and `sitrep evaluate` as a user runs them."""
import json

from typer.testing import CliRunner

from sitrep.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def test_extract_jsonl_keeps_ids_and_offsets(tiny_model_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), str(ROOT / "data" / "seed.jsonl"),
                              "--output", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 15 and rows[0]["id"] == "seed-000-s00" and rows[0]["doc_id"] == "seed-000"
    for r in rows:
        for e in r["events"]:
            assert r["text"][e["trigger"]["start"]:e["trigger"]["end"]] == e["trigger"]["text"]


def test_extract_with_workers_writes_the_same(tiny_model_dir, tmp_path):
    import torch

    threads = torch.get_num_threads()
    src = str(ROOT / "data" / "seed.jsonl")
    outs = []
    try:
        for workers in ("1", "2"):
            out = tmp_path / f"out{workers}.jsonl"
            res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), src, "-o", str(out),
                                      "--batch-size", "2", "--workers", workers, "--precision", "fp32"])
            assert res.exit_code == 0, res.output
            outs.append(out.read_text())
    finally:
        torch.set_num_threads(threads)
    assert outs[0] == outs[1] and outs[0].count("\n") == 15


def test_extract_txt_and_stdin(tiny_model_dir):
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir),
                              str(ROOT / "seeds" / "000_e5aaf2822eefe5aa.txt")])
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(line) for line in res.stdout.splitlines()]
    assert row["id"] == "000_e5aaf2822eefe5aa" and row["text"].startswith("Al-Qaida Affiliate")
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), "-"],
                        input='{"id": "x", "text": "Troops fell back."}\n')
    assert res.exit_code == 0 and json.loads(res.stdout)["id"] == "x"


def test_bad_line_stops_before_writing_unless_skip_bad(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Troops fell back."}\n{"id": "b"}\nnot json\n'
                   '{"id": "c", "text": "Rebels \\ud800 ambushed"}\n')
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), str(src), "-o", str(out)])
    assert res.exit_code == 1 and not out.exists()
    assert "in.jsonl:2: text: missing" in res.output and "in.jsonl:3: not valid JSON" in res.output
    assert "in.jsonl:4: text: lone surrogate U+D800 at character 7" in res.output
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), str(src), "-o", str(out), "--skip-bad"])
    assert res.exit_code == 0 and "in.jsonl:4: text: lone surrogate" in res.output
    assert [json.loads(line)["id"] for line in out.read_text().split("\n") if line] == ["a"]


def test_pretty_format(tiny_model_dir):
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), "--format", "pretty",
                              str(ROOT / "data" / "seed.jsonl")])
    assert res.exit_code == 0 and "== seed-000-s" in res.stdout


def test_missing_model_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["extract", "--model", str(tmp_path / "nope"), "-"], input="x")
    assert res.exit_code == 1 and "is not a sitrep model directory" in res.output


def test_evaluate_writes_report_plot_errors_and_baselines(tiny_model_dir, tmp_path):
    seed = str(ROOT / "data" / "seed.jsonl")
    res = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", seed, "--json",
                              str(tmp_path / "r.json"), "--plot", str(tmp_path / "c.png"), "--errors",
                              str(tmp_path / "e.jsonl"), "--baselines", "--train-data", seed])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert {"tri_i", "tri_c", "arg_i", "arg_c", "sentence_types", "per_type", "per_role", "confusion",
            "baselines"} <= set(report)
    assert report["baselines"]["lexicon"]["tri_c"]["r"] == 1.0  # trained and tested on the same file
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    n_errors = len((tmp_path / "e.jsonl").read_text().splitlines())
    t = report["tri_c"]
    a = report["arg_c"]
    assert n_errors == (t["n_pred"] - t["tp"]) + (t["n_gold"] - t["tp"]) + (a["n_pred"] - a["tp"]) + (
        a["n_gold"] - a["tp"])


def test_local_engine_refuses_ray_options(tiny_model_dir):
    for extra in (["--output-format", "parquet"], ["--address", "ray://head:10001"]):
        res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), "-", *extra], input="x")
        assert res.exit_code == 1 and "are options of --engine ray" in res.output


def test_missing_extras_name_the_install_command(tiny_model_dir, tmp_path, monkeypatch):
    import sys

    for name in ("ray", "ray.data", "onnx"):
        monkeypatch.setitem(sys.modules, name, None)  # what an import of a missing package raises
    res = runner.invoke(app, ["extract", "--engine", "ray", "--model", str(tiny_model_dir), "-", "-o", str(tmp_path)])
    assert res.exit_code == 1 and "install the scale extra: pip install -e '.[scale]'" in res.output
    res = runner.invoke(app, ["export", "onnx", "--model", str(tiny_model_dir), "-o", str(tmp_path / "onnx")])
    assert res.exit_code == 1 and "install the onnx extra: pip install -e '.[onnx]'" in res.output


def test_score_command_needs_no_benchmarks():
    import subprocess
    import sys

    seed = str(ROOT / "data" / "seed.jsonl")
    code = ("import sys; from typer.testing import CliRunner; from sitrep.cli import app; "
            f"r = CliRunner().invoke(app, ['score', {seed!r}, {seed!r}]); assert r.exit_code == 0, r.output; "
            "assert 'Tri-C' in r.output; print(sorted({m for m in sys.modules if m.startswith('benchmarks')}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_data_stats_json_counts_seed():
    res = runner.invoke(app, ["data", "stats", str(ROOT / "data" / "seed.jsonl"), "--json"])
    st = json.loads(res.stdout)
    assert st["events"] == 11 and st["events_per_type"] == {"Ambush": 2, "Coup": 1, "Retreat": 2, "Statement": 6}


def test_invalid_utf8_names_file_and_line(tiny_model_dir, tmp_path):
    bad = b'{"id": "a", "text": "Troops fell back."}\n{"id": "b", "text": "caf\xe9"}\n'
    src = tmp_path / "in.jsonl"
    src.write_bytes(bad)
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), str(src)])
    assert res.exit_code == 1 and "in.jsonl:2: not UTF-8 (invalid continuation byte at byte 25" in res.output
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), str(src), "--skip-bad"])
    assert res.exit_code == 0 and [json.loads(x)["id"] for x in res.stdout.split("\n") if x] == ["a"]
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), "-"], input=bad)
    assert res.exit_code == 1 and "<stdin>:2: not UTF-8" in res.output and isinstance(res.exception, SystemExit)
    txt = tmp_path / "doc.txt"
    txt.write_bytes(b"Troops fell back.\nThe caf\xe9 closed.\n")
    res = runner.invoke(app, ["extract", "--model", str(tiny_model_dir), str(txt)])
    assert res.exit_code == 1 and "doc.txt:2: not UTF-8" in res.output


def test_output_with_unicode_line_separators_reads_back(tiny_model_dir, tmp_path):
    """U+2028 and U+0085 stand raw in JSON strings: they must not split a line."""
    src = tmp_path / "in.jsonl"
    texts = ["Rebels ambushed a convoy.\u2028Troops fell back.", "The army said\u0085it left.", "Troops fell back."]
    src.write_text("".join(json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(texts)), encoding="utf-8")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    base = ["extract", "--model", str(tiny_model_dir), "--precision", "fp32"]  # one precision for both loads
    res = runner.invoke(app, [*base, str(src), "-o", str(first)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, [*base, str(first), "-o", str(second)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in second.read_text(encoding="utf-8").split("\n") if line]
    assert [(r["id"], r["text"]) for r in rows] == [(f"r{i}", t) for i, t in enumerate(texts)]
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    from inference.records import load_sentences

    assert [s.text for s in load_sentences(second)] == texts


def test_crlf_offsets_point_into_the_text_given(tiny_model_dir, tmp_path):
    article = (ROOT / "seeds" / "000_e5aaf2822eefe5aa.txt").read_text(encoding="utf-8")
    crlf = article.replace("\n", "\r\n")
    src = tmp_path / "crlf.txt"
    src.write_bytes(crlf.encode("utf-8"))
    # fp32: 'auto' times bf16 against int8 at each load, so two loads may pick different precisions
    base = ["extract", "--model", str(tiny_model_dir), "--precision", "fp32"]
    from_file = runner.invoke(app, [*base, str(src)])
    from_stdin = runner.invoke(app, [*base, "-"], input=crlf.encode("utf-8"))
    rows = []
    for res in (from_file, from_stdin):
        assert res.exit_code == 0, res.output
        (row,) = [json.loads(line) for line in res.stdout.split("\n") if line]
        assert row["text"] == crlf and row["events"]
        for e in row["events"]:
            for span in [e["trigger"], *e["arguments"]]:
                assert crlf[span["start"]:span["end"]] == span["text"]
        rows.append(row["events"])
    assert rows[0] == rows[1]
