"""int8: training-time rounding equals inference's; rows are batch-invariant; training measures int8 on dev; auto precision follows."""
import copy
import json
import time

import pytest
import torch

from inference import EventExtractor
from inference import runtime
from inference.quantized import Int8Linear, quantize_linear_layers
from tests.conftest import ROOT, tiny_config
from training.quantization import make_quantization_aware
from training.trainer import train


def _rows_of_different_ranges() -> torch.Tensor:
    torch.manual_seed(0)
    x = torch.randn(3, 7, 48) * 2 + 0.3
    x[1] *= 40     # a sentence with far larger activations: per-tensor scales would coarsen its neighbours
    x[2, :, 0] = 90.0
    return x


def test_fake_quantized_linear_computes_what_int8_inference_computes():
    linear = torch.nn.Linear(48, 96)
    x = _rows_of_different_ranges()
    int8 = Int8Linear(linear)
    fake = copy.deepcopy(linear)
    assert make_quantization_aware(fake) == 1
    rounding = float((int8(x) - linear(x)).abs().max().detach())
    assert rounding > 1e-3                                   # int8 really differs from fp32 ...
    torch.testing.assert_close(fake(x).detach(), int8(x), rtol=1e-5, atol=1e-5)   # ... as training sees it
    x.requires_grad_(True)
    fake(x).sum().backward()
    assert x.grad.abs().sum() > 0 and fake.weight.grad.abs().sum() > 0   # straight-through gradients


def test_int8_linear_rows_do_not_depend_on_their_batch():
    linear = torch.nn.Linear(48, 96)
    int8 = Int8Linear(linear)
    x = _rows_of_different_ranges()
    together = int8(x)
    for b in range(x.shape[0]):
        for t in range(x.shape[1]):
            assert torch.equal(int8(x[b, t:t + 1]), together[b, t:t + 1])   # bit for bit, alone or in the batch
    assert quantize_linear_layers(torch.nn.Sequential(linear, torch.nn.ReLU(), torch.nn.Linear(96, 4))) == 2


def test_layers_reading_one_tensor_round_it_once_with_the_same_result():
    """Query, key and value share their input's rounding: fewer passes, the same numbers as rounding it apart."""
    from transformers import BertConfig, BertModel

    from inference.quantized import SharedInput, quantize_rows, row_scales

    x = _rows_of_different_ranges()
    q, scale = quantize_rows(x)
    torch.testing.assert_close(scale, row_scales(x.reshape(-1, 48)), rtol=0, atol=0)
    # a row's scale is its largest |value| over 127, found from the row's max and min
    largest = x.reshape(-1, 48).abs().amax(-1, keepdim=True)
    torch.testing.assert_close(scale, (largest / 127).clamp(min=torch.finfo(torch.float32).eps), rtol=0, atol=0)
    assert torch.equal(q, torch.round(x.reshape(-1, 48) / scale).to(torch.int8))
    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=50, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                                   intermediate_size=96), add_pooling_layer=False).eval()
    alone, shared = copy.deepcopy(encoder), copy.deepcopy(encoder)
    for module in alone.modules():   # every layer rounds its own input
        for name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(module, name, Int8Linear(child))
    quantize_linear_layers(shared)
    attention = shared.encoder.layer[0].attention.self
    group = {attention.query.shared, attention.key.shared, attention.value.shared}
    assert len(group) == 1 and isinstance(group.pop(), SharedInput)
    assert shared.encoder.layer[0].intermediate.dense.shared is None   # alone in its module: nothing to share
    ids = torch.randint(0, 50, (3, 9))
    with torch.inference_mode():
        assert torch.equal(alone(input_ids=ids).last_hidden_state, shared(input_ids=ids).last_hidden_state)


@pytest.mark.parametrize("bf16, cpu_precision, expected", [(False, "int8", "int8"), (False, "fp32", "fp32"),
                                                           (True, "int8", "bf16"), (True, "fp32", "bf16")])
def test_auto_precision_on_cpu(monkeypatch, bf16, cpu_precision, expected):
    monkeypatch.setattr(runtime, "cpu_supports_bf16", lambda: bf16)
    assert runtime.resolve_precision("auto", "cpu", cpu_precision) == expected
    assert runtime.resolve_precision("fp32", "cpu", cpu_precision) == "fp32"


class FixedTimeRunner:
    """A runner whose encoder pass takes a known time."""

    def __init__(self, precision: str, seconds: float):
        self.precision, self.seconds = precision, seconds

    def triggers(self, ids, mask):
        assert ids.shape == mask.shape == (32, 40)
        time.sleep(self.seconds)


def test_auto_times_its_candidates_at_load_and_keeps_the_faster(monkeypatch, tiny_model_dir):
    from inference.runners import fastest

    slow, quick = FixedTimeRunner("bf16", 0.03), FixedTimeRunner("int8", 0.005)
    assert fastest([slow, quick], vocab_size=100) is quick and set(quick.timings_ms) == {"bf16", "int8"}
    # through the loader, on a CPU said to have native bf16: bf16 and the model's CPU precision compete
    monkeypatch.setattr(runtime, "cpu_supports_bf16", lambda: True)
    ex = EventExtractor.from_pretrained(tiny_model_dir, device="cpu")
    timings = ex.metadata["precision_timings_ms"]
    cpu_precision = json.loads((tiny_model_dir / "config.json").read_text())["cpu_precision"]
    assert set(timings) == {"bf16", cpu_precision} and ex.precision == min(timings, key=timings.get)
    assert "precision_timings_ms" not in EventExtractor.from_pretrained(tiny_model_dir, precision="fp32").metadata


@pytest.mark.parametrize("tolerance, expected", [(1.0, "int8"), (-1.0, "fp32")])
def test_training_measures_int8_and_auto_follows(tmp_path, monkeypatch, tolerance, expected):
    """The run scores dev in fp32 and int8; int8 becomes the CPU default only within the tolerance."""
    seed = str(ROOT / "data" / "seed.jsonl")
    train(tiny_config(tmp_path, [seed], seed, **{"optim.epochs": 30, "model.quantization_aware": "true",
                                                 "data.test": seed, "run.int8_tolerance": tolerance}))
    model_dir = tmp_path / "model"
    assert json.loads((model_dir / "config.json").read_text())["cpu_precision"] == expected
    metrics = json.loads((model_dir / "metrics.json").read_text())
    check = metrics["int8_check"]
    assert check["cpu_precision"] == expected and check["drop"] == pytest.approx(check["dev_fp32"] - check["dev_int8"],
                                                                                 abs=1e-3)
    runs = check["dev_int8_by_batch_size"]
    assert list(runs) == ["8", "32", "128"] and check["dev_int8"] == pytest.approx(sum(runs.values()) / 3, abs=1e-3)
    assert metrics["test_precision"] == expected and metrics["test"]["tri_c"]["f1"] > 0.5
    assert f"CPU without bf16: **{expected}**" in (model_dir / "README.md").read_text()
    monkeypatch.setattr(runtime, "cpu_supports_bf16", lambda: False)
    ex = EventExtractor.from_pretrained(model_dir, device="cpu")
    assert ex.precision == expected
    assert ex.extract("Rebels ambushed a convoy near Gao on Monday.")[0].text


def test_int8_extractor_leaves_the_callers_model_unquantized(tiny_model_dir):
    fp32 = EventExtractor.from_pretrained(tiny_model_dir, precision="fp32")
    int8 = EventExtractor.from_model(fp32.model, fp32.tokenizer, precision="int8")
    assert isinstance(fp32.model.encoder.encoder.layer[0].output.dense, torch.nn.Linear)
    assert not isinstance(int8.model.encoder.encoder.layer[0].output.dense, torch.nn.Linear)
