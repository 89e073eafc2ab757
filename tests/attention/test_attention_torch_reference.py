"""MultiHeadAttention against PyTorch's `torch.nn.MultiheadAttention` (on every Keras backend)."""

import numpy as np
import pytest
import torch
from conftest import ATOL, max_abs_diff

from keraseq.layers import MultiHeadAttention

B, T, WIDTH, HEADS = 2, 7, 12, 3


def torch_twin(layer):
    """A torch.nn.MultiheadAttention holding `layer`'s weights.

    Ours: q = x @ query_kernel.reshape(E, E) + bias (heads side by side); torch: q = x W^T + b with
    W the rows [W_q; W_k; W_v] of `in_proj_weight`. The output kernel `(heads, d, E)` flattens to
    the
    transpose of `out_proj.weight`.
    """
    wq, bq, wk, bk, wv, bv, wo, bo = (np.asarray(w) for w in layer.get_weights())
    module = torch.nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
    flat = lambda kernel: kernel.reshape(WIDTH, WIDTH).T  # (E, heads, d) -> torch's (E_out, E_in)
    with torch.no_grad():
        module.in_proj_weight.copy_(
            torch.from_numpy(np.concatenate([flat(wq), flat(wk), flat(wv)]))
        )
        module.in_proj_bias.copy_(
            torch.from_numpy(np.concatenate([bq.ravel(), bk.ravel(), bv.ravel()]))
        )
        module.out_proj.weight.copy_(torch.from_numpy(wo.reshape(WIDTH, WIDTH).T.copy()))
        module.out_proj.bias.copy_(torch.from_numpy(bo))
    return module


@pytest.mark.parametrize("causal", [False, True])
def test_equals_torch_multihead_attention(causal, rng):
    x = rng.normal(size=(B, T, WIDTH)).astype("float32")
    layer = MultiHeadAttention(HEADS, WIDTH // HEADS)
    layer(x, x)
    layer.set_weights(
        [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    out, weights = layer(x, x, use_causal_mask=causal, return_attention_scores=True)
    future = (
        torch.from_numpy(~np.tril(np.ones((T, T), bool))) if causal else None
    )  # torch: True = hide
    tx = torch.from_numpy(x)
    with torch.no_grad():
        ref_out, ref_weights = torch_twin(layer)(
            tx, tx, tx, attn_mask=future, average_attn_weights=False
        )
    assert max_abs_diff(out, ref_out.numpy()) <= ATOL
    assert max_abs_diff(weights, ref_weights.numpy()) <= ATOL
    assert (
        max_abs_diff(layer(x, x, use_causal_mask=causal), ref_out.numpy()) <= ATOL
    )  # the fused path
