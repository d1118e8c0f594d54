"""Load-time changes that make a sequence-classification reward model score faster, same inputs, same reward.

- `keep_head_in_fp32`: the one-output reward head runs in fp32 on fp32 input, so the reward itself is
  not rounded to bf16 (bf16 keeps ~3 significant digits; near-zero margins would flip needlessly).
- `read_first_token_only`: BERT-style encoders read the reward from the first token, so their last
  layer computes attention queries, the output projection and the feed-forward for that token alone
  (keys and values still for all tokens): the same function, ~1/6 less work for a 6-layer model. Kept
  only when the changed model gives the unchanged model's rewards on a padded probe batch.
- `cast_body_to_bf16`: the weights of everything but the head become bf16 once, at load, instead of
  being cast on every forward by autocast (buffers such as rotary frequencies stay fp32).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

HEAD_NAMES = ("classifier", "score")


class FP32Head(torch.nn.Module):
    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        self.linear = linear

    def forward(self, hidden):
        return self.linear(hidden.float())


def keep_head_in_fp32(model) -> str | None:
    """Wrap the one-output linear head in `FP32Head`, its weights made fp32 (a head trained in bf16 has
    bf16 ones); its attribute name, None when there is none."""
    for name in HEAD_NAMES:
        head = getattr(model, name, None)
        if isinstance(head, torch.nn.Linear):
            setattr(model, name, FP32Head(head.float()))
            return name
    return None


def cast_body_to_bf16(model, head: str | None) -> None:
    with torch.no_grad():
        for name, child in model.named_children():
            if name != head:
                for param in child.parameters():
                    param.data = param.data.to(torch.bfloat16)


class FirstTokenLayer(torch.nn.Module):
    """A BERT-style encoder layer whose output is the first token's only (shape batch x 1 x hidden)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, hidden, attention_mask=None, *args, **kwargs):
        attention, (batch, length, width) = self.layer.attention, hidden.shape
        heads = attention.self.num_attention_heads
        first = hidden[:, :1]

        def split(x, n):
            return x.view(batch, n, heads, -1).transpose(1, 2)

        query = split(attention.self.query(first), 1)
        key = split(attention.self.key(hidden), length)
        value = split(attention.self.value(hidden), length)
        if attention_mask is not None:
            if attention_mask.dim() != 4:
                raise ValueError("expects a 4-d attention mask")
            attention_mask = attention_mask[:, :, :1]
        context = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask)
        attended = attention.output(context.transpose(1, 2).reshape(batch, 1, width), first)
        return self.layer.output(self.layer.intermediate(attended), attended)


def read_first_token_only(model) -> bool:
    """Swap the last encoder layer for a `FirstTokenLayer` when that leaves the rewards unchanged."""
    base = getattr(model, getattr(model, "base_model_prefix", ""), None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    config = model.config
    if not layers or getattr(config, "is_decoder", False) or getattr(config, "add_cross_attention", False):
        return False
    last = layers[-1]
    if not all(hasattr(last, name) for name in ("attention", "intermediate", "output")):
        return False
    ids = torch.randint(5, config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    probe = {"input_ids": ids.to(model.device), "attention_mask": mask.to(model.device)}
    with torch.inference_mode():
        expected = model(**probe).logits
        layers[-1] = FirstTokenLayer(last)
        try:
            same = torch.allclose(model(**probe).logits, expected, atol=1e-3, rtol=1e-3)
        except Exception:  # another layer layout or mask format: keep the model as it was
            same = False
    if not same:
        layers[-1] = last
    return same
