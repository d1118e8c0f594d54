"""fast_model: load-time changes that make a reward model score faster with the same rewards, on a tiny
randomly initialised BERT (no training needed)."""

from __future__ import annotations

import copy

import torch

from rmstudio.scoring import fast_path as fast_model


def tiny_bert():
    """A randomly initialised 2-layer BERT reward model (one output)."""
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=1,
    )
    return BertForSequenceClassification(config).eval()


def padded_batch() -> dict:
    ids = torch.randint(1, 64, (3, 20), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 12:] = 0
    mask[2, 5:] = 0
    return {"input_ids": ids, "attention_mask": mask}


def test_last_layer_computes_only_the_first_token_with_the_same_rewards():
    model = tiny_bert()
    original = copy.deepcopy(model)
    assert fast_model.read_first_token_only(model)
    assert isinstance(model.bert.encoder.layer[-1], fast_model.FirstTokenLayer)
    batch = padded_batch()
    unpadded = {"input_ids": batch["input_ids"][:, :5]}
    with torch.inference_mode():
        assert torch.allclose(model(**batch).logits, original(**batch).logits, atol=1e-5)
        assert torch.allclose(model(**unpadded).logits, original(**unpadded).logits, atol=1e-5)


def test_first_token_only_is_refused_when_the_head_reads_another_token():
    class LastTokenPooler(torch.nn.Module):
        def __init__(self, pooler):
            super().__init__()
            self.pooler = pooler

        def forward(self, hidden):
            return self.pooler(hidden[:, -1:])

    model = tiny_bert()
    model.bert.pooler = LastTokenPooler(model.bert.pooler)
    last = model.bert.encoder.layer[-1]
    assert not fast_model.read_first_token_only(model)
    assert model.bert.encoder.layer[-1] is last


def test_bf16_weights_keep_the_reward_head_in_fp32():
    model = tiny_bert()
    original = copy.deepcopy(model)
    head = fast_model.keep_head_in_fp32(model)
    fast_model.cast_body_to_bf16(model, head)
    assert head == "classifier"
    assert {p.dtype for p in model.bert.parameters()} == {torch.bfloat16}
    assert model.classifier.linear.weight.dtype == torch.float32
    with torch.inference_mode():
        logits, expected = model(**padded_batch()).logits, original(**padded_batch()).logits
    assert logits.dtype == torch.float32
    assert torch.allclose(logits, expected, atol=0.02)
