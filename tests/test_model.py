"""The event model's computation, on a tiny random encoder."""
import torch

from inference.model import EventModel, EventModelConfig
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
