"""The event model's computation, on a tiny random encoder."""
import json

import pytest
import torch

from inference.model import EventModel, EventModelConfig, ModelLoadError, check_model_dir
from tests.conftest import TINY_ENCODER


def concatenated_argument_logits(model, hidden, ev_batch, ev_start, ev_end, ev_type):
    """The argument head as its docstring defines it: one MLP over the concatenated features."""
    states = hidden[ev_batch]
    pos = torch.arange(states.shape[1])
    weights = ((pos[None] >= ev_start[:, None]) & (pos[None] <= ev_end[:, None])).float().unsqueeze(-1)
    trig = ((states * weights).sum(1) / weights.sum(1)).unsqueeze(1).expand_as(states)
    k = model.config.max_distance
    dist = model.distance_embedding((pos[None] - ev_start[:, None]).clamp(-k, k) + k)
    typ = model.type_embedding(ev_type).unsqueeze(1).expand(-1, states.shape[1], -1)
    feats = torch.cat([states, trig, states * trig, typ, dist], dim=-1)
    logits = model.arg_out(torch.nn.functional.gelu(model.arg_hidden(feats)))
    return logits.masked_fill(~model.role_mask[ev_type].unsqueeze(1), torch.finfo(logits.dtype).min / 2)


def test_factorized_argument_head_is_the_concatenated_mlp(ontology):
    torch.manual_seed(0)
    model = EventModel(EventModelConfig(ontology=ontology.to_dict(), encoder_config=dict(TINY_ENCODER),
                                        head_hidden=24, type_dim=8, max_distance=4, distance_dim=6)).eval()
    hidden = torch.randn(3, 11, TINY_ENCODER["hidden_size"])
    ev = [torch.tensor(x) for x in ([0, 2, 2, 1], [1, 0, 9, 3], [2, 0, 10, 3], [0, 3, 1, 2])]
    with torch.no_grad():
        fast = model.argument_logits(hidden, *ev)
        slow = concatenated_argument_logits(model, hidden, *ev)
    assert fast.shape == (4, 11, len(model.labels.role_labels))
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)


def tiny_model(ontology, **arch):
    torch.manual_seed(0)
    return EventModel(EventModelConfig(ontology=ontology.to_dict(), encoder_config=dict(TINY_ENCODER),
                                       **arch)).eval()


def test_save_and_load_give_back_the_same_model(ontology, tmp_path):
    model = tiny_model(ontology, head_hidden=24, type_dim=8, max_distance=4, distance_dim=6)
    model.save_pretrained(tmp_path)
    loaded = EventModel.from_pretrained(tmp_path)
    assert loaded.config == model.config
    mine, theirs = model.state_dict(), loaded.state_dict()
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert torch.equal(mine[name], theirs[name]), name
    ids = torch.randint(0, TINY_ENCODER.get("vocab_size", 100), (2, 9))
    ev = [torch.tensor(x) for x in ([0, 1], [1, 2], [2, 4], [0, 3])]
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids, torch.ones_like(ids))["trigger_logits"],
                                   model(ids, torch.ones_like(ids))["trigger_logits"], rtol=0, atol=0)
        hidden = model.encode(ids, torch.ones_like(ids))
        torch.testing.assert_close(loaded.argument_logits(hidden, *ev), model.argument_logits(hidden, *ev),
                                   rtol=0, atol=0)


@pytest.fixture()
def saved(ontology, tmp_path):
    """A tiny model directory as training writes it: config, weights and the tokenizer."""
    from transformers import AutoTokenizer

    from inference.encoder import DEFAULT_ENCODER, resolve_encoder

    tiny_model(ontology).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(resolve_encoder(DEFAULT_ENCODER)).save_pretrained(tmp_path)
    return tmp_path


def edit_config(directory, change):
    path = directory / "config.json"
    cfg = json.loads(path.read_text())
    change(cfg)
    path.write_text(json.dumps(cfg))


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:5000]),
     r"model.safetensors: not a complete safetensors file .* copy the model directory again"),
    (lambda d: (d / "model.safetensors").write_bytes(b""),
     r"model.safetensors: not a complete safetensors file"),
    (lambda d: edit_config(d, lambda c: c.update(heads=3)),
     r"config.json: unknown key\(s\) \['heads'\] .* load it with the sitrep that wrote it"),
    (lambda d: edit_config(d, lambda c: c.pop("stride")),
     r"config.json: missing key\(s\) \['stride'\]"),
    (lambda d: (d / "config.json").write_text('{"format_version": 1,'),
     r"config.json: not valid JSON .* copy the model directory again"),
    (lambda d: edit_config(d, lambda c: c.update(stride=200)),
     r"config.json: stride \(200\) must be .* fix that value"),
    (lambda d: edit_config(d, lambda c: c["encoder_config"].update(num_hidden_layers=2)),
     r"model.safetensors: the weights do not fit .*config.json \(missing \d+ tensor\(s\), e.g. encoder.encoder.layer.1"
     r".*copy both from the same training run"),
    (lambda d: edit_config(d, lambda c: c.update(head_hidden=48)),
     r"wrong shape of 3 tensor\(s\), e.g. arg_hidden.bias \(256,\) instead of \(48,\)"),
])
def test_a_damaged_model_directory_is_one_clear_error(saved, damage, message):
    damage(saved)
    for load in (EventModel.from_pretrained, check_model_dir):
        with pytest.raises(ModelLoadError, match=message) as info:
            load(saved)
        assert str(saved) in str(info.value)


def test_the_cli_prints_a_damaged_model_as_one_error_line(saved):
    from typer.testing import CliRunner

    from sitrep.cli import app

    (saved / "model.safetensors").write_bytes(b"")
    for args in (["extract", "--model", str(saved), "-"], ["bench", "--model", str(saved)]):
        res = CliRunner().invoke(app, args, input='{"id": "a", "text": "Troops fled."}\n')
        assert res.exit_code == 1, res.output
        assert res.output.startswith("error: ") and res.output.count("\n") == 1 and "Traceback" not in res.output
        assert "model.safetensors" in res.output
