"""A sentence's events do not depend on the sentences that share its batch, in fp32 and in int8."""
import numpy as np
import pytest

from inference import EventExtractor


def events_of(sentence_events):
    return [(e.type, e.trigger.start, e.trigger.end, sorted((a.role, a.start, a.end) for a in e.arguments))
            for e in sentence_events]


@pytest.fixture(scope="module", params=["fp32", "int8"])
def ex(request, tiny_model_dir):
    return EventExtractor.from_pretrained(tiny_model_dir, precision=request.param)


@pytest.fixture(scope="module")
def sentences(seed_sentences):
    return [s.text for s in seed_sentences]


def test_encoder_output_of_a_sentence_is_the_same_alone_and_in_a_padded_batch(ex, sentences):
    """The rows of a sentence barely move when longer, shorter or odd sentences share its batch.

    Under torch's per-tensor dynamic int8 the largest activation of the batch set every
    token's rounding step and these probabilities moved by over 1e-3; per-row int8 leaves
    only float noise.
    """
    short = min(sentences, key=len)
    loud = "!!!! " * 40 + "ARMY ARMY ARMY 12345678901234567890"
    enc = ex.tokenizer([short, *sentences, loud], padding=True, truncation=True, max_length=ex.config.max_length,
                       return_tensors="np")
    ids, mask = enc["input_ids"].astype(np.int64), enc["attention_mask"].astype(np.int64)
    n = int(mask[0].sum())
    _, alone = ex.runner.triggers(ids[:1, :n], mask[:1, :n])
    _, together = ex.runner.triggers(ids, mask)
    assert np.abs(alone[0] - together[0, :n]).max() < 1e-4


@pytest.mark.parametrize("batch_size", [1, 3, 8, 32])
def test_same_events_alone_and_in_batches_of_any_composition(ex, sentences, batch_size):
    alone = [ex.predict_sentences([s], batch_size=1)[0] for s in sentences]
    assert any(alone), "the tiny model finds events in the seed article"
    compositions = [sentences, sentences[::-1], sentences[::2] + ["x"] * 5 + sentences[1::2],
                    [s + " " + s for s in sentences[:3]] + sentences]
    for texts in compositions:
        got = ex.predict_sentences(texts, batch_size=batch_size)
        for text, events in zip(texts, got):
            if text in sentences:
                assert events_of(events) == events_of(alone[sentences.index(text)]), text


def test_batches_closed_early_by_the_memory_cap_give_the_same_events(ex, sentences):
    """The CPU's activation cap splits a batch of long windows; each sentence's events stay the same."""
    assert ex.max_batch_values is not None, "on the CPU the extractor caps a batch's activations"
    uncapped = EventExtractor(ex.runner, ex.tokenizer, ex.config, max_batch_values=None)
    tight = EventExtractor(ex.runner, ex.tokenizer, ex.config, max_batch_values=1)  # one window per batch
    reference = [events_of(e) for e in uncapped.predict_sentences(sentences, batch_size=64)]
    assert [events_of(e) for e in tight.predict_sentences(sentences, batch_size=64)] == reference
