"""ONNX export: the exported graphs give the same events as the torch model."""
import pytest

from inference import EventExtractor
from inference.onnx_export import export_onnx

pytest.importorskip("onnxruntime")


def events_key(events):
    return [(e.type, e.trigger.start, e.trigger.end, sorted((a.role, a.start, a.end) for a in e.arguments))
            for e in events]


@pytest.fixture(scope="module")
def onnx_dir(tiny_model_dir, tmp_path_factory):
    return export_onnx(tiny_model_dir, tmp_path_factory.mktemp("onnx") / "model", int8=True)


def test_onnx_matches_torch(tiny_model_dir, onnx_dir, seed_sentences):
    texts = [s.text for s in seed_sentences] + ["Rebels ambushed a convoy near Gao on Monday, the army said.",
                                                "Troops fell back from the town after the putsch."]
    torch_ex = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    onnx_ex = EventExtractor.from_pretrained(onnx_dir, precision="fp32")
    assert onnx_ex.metadata["backend"] == "onnx" and onnx_ex.precision == "fp32"
    a, b = torch_ex.predict_sentences(texts), onnx_ex.predict_sentences(texts)
    assert sum(events_key(x) == events_key(y) for x, y in zip(a, b)) >= 0.99 * len(texts)
    for x, y in zip(a, b):
        for e, f in zip(x, y):
            assert abs(e.score - f.score) < 1e-3
            assert all(abs(p.score - q.score) < 1e-3 for p, q in zip(e.arguments, f.arguments))
    # whole documents, windowing included, go through the same path
    (doc,) = onnx_ex.extract(" ".join(texts))
    for e in doc.events:
        assert doc.text[e.trigger.start:e.trigger.end] == e.trigger.text


def test_onnx_auto_precision_is_fp32_even_for_an_int8_model(onnx_dir):
    """ONNX Runtime's int8 scales inputs per tensor (batch-dependent answers): only run when asked for."""
    import json

    config = json.loads((onnx_dir / "config.json").read_text())
    (onnx_dir / "config.json").write_text(json.dumps(config | {"cpu_precision": "int8"}))
    try:
        assert EventExtractor.from_pretrained(onnx_dir).precision == "fp32"
    finally:
        (onnx_dir / "config.json").write_text(json.dumps(config))


def test_onnx_int8_and_errors(onnx_dir, tiny_model_dir):
    int8 = EventExtractor.from_pretrained(onnx_dir, precision="int8")
    assert int8.precision == "int8" and len(int8.extract("Troops fell back.")) == 1
    with pytest.raises(ValueError, match="runs fp32 or int8"):
        EventExtractor.from_pretrained(onnx_dir, precision="bf16")
    with pytest.raises(AttributeError, match="no torch model"):
        int8.model
    torch_only = EventExtractor.from_pretrained(tiny_model_dir)
    assert torch_only.metadata["backend"] == "torch"


def test_export_cli(tiny_model_dir, tmp_path):
    from typer.testing import CliRunner

    from sitrep.cli import app

    out = tmp_path / "exported"
    res = CliRunner().invoke(app, ["export", "onnx", "--model", str(tiny_model_dir), "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "triggers.onnx").is_file() and (out / "config.json").is_file()
    res = CliRunner().invoke(app, ["extract", "--model", str(out), "-"], input='{"id": "a", "text": "Troops fled."}')
    assert res.exit_code == 0 and '"id": "a"' in res.stdout
