"""Keras's own `multi_head_attention_test.py`, run against `keraseq.layers.MultiHeadAttention`.

A drop-in user meets what this file checks. The tests it cannot pass are skipped below, each with
its reason: features keraseq declares unsupported, and Keras's private methods and sublayers.
"""

import types

import pytest
from keras.src import layers as keras_layers

keras_test = pytest.importorskip(
    "keras.src.layers.attention.multi_head_attention_test",
    reason="this Keras install does not ship its tests",
)

from keraseq.layers import MultiHeadAttention  # noqa: E402

UNSUPPORTED = {
    "attention_axes (keraseq attends over the positions axis only)": [
        "test_attention_axes_negative_indexing",
        "test_causal_only_masks_non_4d_inputs",
    ],
    "inputs of rank > 3 (keraseq takes (batch, positions, features))": [
        "test_high_dim_attention",
        "test_compute_output_shape_high_dim",
        "test_compute_output_shape_different_qv_last_dims",
        "test_shape_mismatch_error_key_value_dim_mismatch_high_dim",
    ],
    "a tuple output_shape (keraseq's output is (batch, T, width))": [
        "test_compute_output_shape_without_key_different_proj",
        "test_compute_output_shape_with_key_different_proj",
        "test_multi_head_attention_output_shape_as_tuple",
        "test_multi_head_attention_output_shape_error",
    ],
    # test_basics: its first cases pass (run on their own, they check the seed generators too;
    # see test_multi_head.py), its last ones set use_gate.
    "use_gate (not in keraseq)": [
        "test_basics",
        "test_initializer",
        "test_lora",
        "test_mha_constraints",
    ],
    "flash_attention, sliding_window (not in keraseq)": [
        "test_basics_with_flash_attention",
        "test_flash_attention_with_errors",
        "test_sliding_window",
    ],
    "Keras's private methods and sublayers (_compute_attention, _query_dense, quantization)": [
        "test_causal_only_skipped_for_subclass",
        "test_compute_attention_combines_causal_and_explicit_mask",
        "test_dtype_policy_map",
        "test_quantize_int8",
    ],
}


class OursInKerasLayers(types.SimpleNamespace):
    """`keras.src.layers` as Keras's test sees it, with keraseq's `MultiHeadAttention`."""

    def __getattr__(self, name):
        return getattr(keras_layers, name)


@pytest.fixture(autouse=True)
def keraseq_layer(monkeypatch):
    monkeypatch.setattr(
        keras_test, "layers", OursInKerasLayers(MultiHeadAttention=MultiHeadAttention)
    )


def unsupported_reason(item):
    for reason, prefixes in UNSUPPORTED.items():
        if item.name.startswith(tuple(prefixes)):
            return reason
    return None


class TestKerasMultiHeadAttention(keras_test.MultiHeadAttentionTest):
    @pytest.fixture(autouse=True)
    def _skip_unsupported(self, request):
        reason = unsupported_reason(request.node)
        if reason:
            pytest.skip(f"unsupported by keraseq: {reason}")
