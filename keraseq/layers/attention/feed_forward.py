"""The position-wise feed-forward network: the same two-layer MLP applied to every token."""

import keras
from keras import ops

from keraseq.layers import validation
from keraseq.layers.attention.lora import LoRAKernels
from keraseq.layers.initializers import fresh


@keras.saving.register_keras_serializable(package="keraseq")
class FeedForward(LoRAKernels, keras.layers.Layer):
    r"""$\operatorname{FFN}(x) = \phi(x W_1 + b_1)\, W_2 + b_2$, applied to each position alone.

    Attention mixes information across positions; the FFN then transforms each position on its own,
    widening to `intermediate_dim` (usually 4 × the width) and back.

    Weights, in `get_weights()` order (those of `keras_hub.layers.TransformerDecoder`'s
    `feedforward_intermediate_dense` then `feedforward_output_dense`): `intermediate_kernel`
    `(d, intermediate_dim)`, `intermediate_bias`, `output_kernel` `(intermediate_dim, d)`,
    `output_bias` `(d,)`.

    LoRA: `enable_lora(rank, lora_alpha=None)` freezes both kernels and adds trainable adapters
    `intermediate_lora_kernel_a` `(d, rank)`, `intermediate_lora_kernel_b`
    `(rank, intermediate_dim)`, `output_lora_kernel_a`, `output_lora_kernel_b`, as
    `keras.layers.Dense.enable_lora` does on each of two `Dense` layers (see
    `keraseq.layers.attention.lora`).

    Args:
        intermediate_dim: Width of the hidden layer.
        activation: $\phi$, `"relu"` by default (GPT-2 uses `"gelu"`).
        kernel_initializer, bias_initializer: Initializers.
        lora_rank, lora_alpha: If `lora_rank` is set, LoRA is enabled when the layer is built
            ($\alpha$ = `lora_alpha`, `lora_rank` if `None`), as in `keras.layers.Dense`.

    Call arguments:
        inputs: `(..., d)`, of rank 2 at least, with `d` >= 1 (else a `ValueError`).

    Returns:
        `(..., d)`.

    Example:

    ```python
    y = keraseq.layers.FeedForward(256)(np.zeros((2, 10, 64), "float32"))   # (2, 10, 64)
    ```
    """

    def __init__(
        self,
        intermediate_dim,
        activation="relu",
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(lora_rank=lora_rank, lora_alpha=lora_alpha, **kwargs)
        self.intermediate_dim = validation.positive_int("intermediate_dim", intermediate_dim)
        self.activation = validation.activation("activation", activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.supports_masking = True

    lora_kernels = ("intermediate", "output")

    def _dense_weights(self, name, fan_in, fan_out):
        kernel = self.add_weight(
            shape=(fan_in, fan_out),
            name=f"{name}_kernel",
            initializer=fresh(self.kernel_initializer),
        )
        bias = self.add_weight(
            shape=(fan_out,), name=f"{name}_bias", initializer=fresh(self.bias_initializer)
        )
        return kernel, bias

    def build(self, input_shape):
        width = validation.features_shape("FeedForward", input_shape, "(..., d)", min_rank=2)[-1]
        self.intermediate_kernel, self.intermediate_bias = self._dense_weights(
            "intermediate", width, self.intermediate_dim
        )  # W_1 (d, intermediate_dim), b_1
        self.output_kernel, self.output_bias = self._dense_weights(
            "output", self.intermediate_dim, width
        )  # W_2 (intermediate_dim, d), b_2
        self.build_lora()

    def call(self, inputs):
        w_1, w_2 = self.effective_kernel("intermediate"), self.effective_kernel("output")
        hidden = self.activation(ops.matmul(inputs, w_1) + self.intermediate_bias)  # φ(x W_1 + b_1)
        return ops.matmul(hidden, w_2) + self.output_bias  # φ(x W_1 + b_1) W_2 + b_2

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "intermediate_dim": self.intermediate_dim,
            "activation": keras.activations.serialize(self.activation),
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**super().get_config(), **config}
