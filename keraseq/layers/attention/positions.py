"""Where each token is: attention itself is blind to order, so positions are added or rotated in.

* `SinusoidalPositionEncoding`: fixed sines and cosines of geometric frequencies (Vaswani et al.).
* `PositionEmbedding`: one learned vector per position (GPT-2).
* `RotaryEmbedding`: rotates queries and keys by an angle proportional to the position (RoPE, Su et
  al., 2021), so $q_m \\cdot k_n$ depends only on $m - n$.
"""

import keras
from keras import ops

from keraseq.layers import validation


def positions_of(inputs, start_index):
    """Positions `start_index ... start_index + T - 1` along axis 1 of `inputs`, as float32."""
    return ops.arange(ops.shape(inputs)[1], dtype="float32") + ops.cast(
        start_index, "float32"
    )  # (T,)


@keras.saving.register_keras_serializable(package="keraseq")
class SinusoidalPositionEncoding(keras.layers.Layer):
    r"""The Transformer's fixed positional encoding, equal to keras_hub's `SinePositionEncoding`.

    $$
    \begin{aligned}
    PE_{p,\,2i} &= \sin\!\left(p \,/\, \lambda^{2i/d}\right) \\
    PE_{p,\,2i+1} &= \cos\!\left(p \,/\, \lambda^{2i/d}\right)
    \end{aligned}
    $$

    with $\lambda$ = `max_wavelength` (10000) and $d$ the width: wavelengths from $2\pi$ to
    $2\pi\lambda$, so every position gets a distinct pattern and $PE_{p+k}$ is a rotation of $PE_p$.

    Args:
        max_wavelength: $\lambda$, the longest wavelength.

    Call arguments:
        inputs: Tensor `(batch, T, d)`; only its shape is used.
        start_index: Position of the first token (for decoding with a cache).

    Returns:
        The encoding, shape of `inputs` (add it to the token embeddings).

    Example:

    ```python
    x = keras.layers.Embedding(1000, 64)(tokens)
    x = x + keraseq.layers.SinusoidalPositionEncoding()(x)
    ```
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = validation.positive_int("max_wavelength", max_wavelength)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, start_index=0):
        validation.features_shape(type(self).__name__, inputs.shape, "(batch, T, d)")
        width = ops.shape(inputs)[-1]
        positions = ops.cast(positions_of(inputs, start_index), self.compute_dtype)  # p, (T,)
        pair = ops.cast(
            2 * (ops.arange(width) // 2), self.compute_dtype
        )  # 2i for features 2i, 2i+1
        exponent = pair / ops.cast(width, self.compute_dtype)  # 2i/d
        inverse_wavelength = ops.power(1.0 / self.max_wavelength, exponent)  # 1 / λ^{2i/d}, (d,)
        angles = ops.expand_dims(positions, -1) * inverse_wavelength  # p / λ^{2i/d}, (T, d)
        is_odd = ops.arange(width) % 2 == 1
        encoding = ops.where(is_odd, ops.cos(angles), ops.sin(angles))  # PE: sin on 2i, cos on 2i+1
        return ops.broadcast_to(encoding, ops.shape(inputs))  # (B, T, d)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


@keras.saving.register_keras_serializable(package="keraseq")
class PositionEmbedding(keras.layers.Layer):
    r"""A learned vector per position; same weights as `keras_hub.layers.PositionEmbedding`.

    $$PE_p = E_{p,:}, \qquad E \in \mathbb{R}^{L \times d}$$

    Weights: `embeddings`, shape `(sequence_length, d)`.

    Args:
        sequence_length: $L$, the longest sequence the layer can place.
        initializer: Initializer of $E$.

    Call arguments:
        inputs: Tensor `(batch, T, d)`; only its shape is used.
        start_index: Position of the first token (for decoding with a cache), with
            `0 <= start_index <= L - T`. A Python int outside that range raises a `ValueError`;
            a tensor (traced under `jax.jit` or `tf.function`) cannot be checked, and the caller
            must keep it in range: the backends then differ (JAX clamps the slice, torch repeats
            rows).

    Returns:
        $E_{\text{start}:\text{start}+T}$ broadcast to the shape of `inputs`.

    Example:

    ```python
    x = x + keraseq.layers.PositionEmbedding(sequence_length=128)(x)
    ```
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = validation.positive_int("sequence_length", sequence_length)
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, input_shape):
        validation.features_shape(type(self).__name__, input_shape, "(batch, T, d)")
        self.embeddings = self.add_weight(
            shape=(self.sequence_length, input_shape[-1]),
            name="embeddings",
            initializer=self.initializer,
        )

    def call(self, inputs, start_index=0):
        validation.window(
            "start_index",
            start_index,
            inputs.shape[1],
            self.sequence_length,
            f"the {self.sequence_length} positions of {type(self).__name__}(sequence_length)",
        )
        length, width = ops.shape(inputs)[1], ops.shape(inputs)[-1]
        table = ops.convert_to_tensor(self.embeddings)  # (L, d); ops.slice wants a tensor on JAX
        rows = ops.slice(table, (start_index, 0), (length, width))  # PE_p = E_p, (T, d)
        return ops.broadcast_to(rows, ops.shape(inputs))  # (B, T, d)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            "sequence_length": self.sequence_length,
            "initializer": keras.initializers.serialize(self.initializer),
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="keraseq")
class RotaryEmbedding(keras.layers.Layer):
    r"""Rotary position embedding (RoPE); equal to `keras_hub.layers.RotaryEmbedding`.

    The features are split in two halves $x = [x_1, x_2]$; feature pair $(x_{1,i}, x_{2,i})$ is
    rotated by the angle $p\,\theta_i$:

    $$
    \begin{aligned}
    \theta_i &= \lambda^{-2i/d} / s && i = 0 \dots d/2 - 1 \\
    \operatorname{RoPE}(x, p) &= x \odot \cos(p\theta) + [-x_2, x_1] \odot \sin(p\theta)
    \end{aligned}
    $$

    ($\theta$ repeated over both halves). A rotation preserves lengths, and
    $\operatorname{RoPE}(q, m) \cdot \operatorname{RoPE}(k, n)$ depends on the positions only
    through
    $m - n$: relative positions, applied to queries and keys inside attention.

    Args:
        max_wavelength: $\lambda$, 10000.
        scaling_factor: $s$, stretches the positions (1 for none, > 1 for longer contexts).

    Call arguments:
        inputs: Queries or keys, `(batch, T, ..., d)` (e.g. `(B, T, heads, head_dim)`), $d$ even.
        start_index: Position of the first token (for decoding with a cache).

    Returns:
        The rotated tensor, shape of `inputs`.

    Example:

    ```python
    q = keraseq.layers.RotaryEmbedding()(q)    # q: (B, T, heads, head_dim)
    ```
    """

    def __init__(self, max_wavelength=10000, scaling_factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.max_wavelength = validation.positive_int("max_wavelength", max_wavelength)
        self.scaling_factor = validation.positive_number("scaling_factor", scaling_factor)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, start_index=0):
        layout = "(batch, T, ..., d)"
        width = validation.features_shape(type(self).__name__, inputs.shape, layout, 3)[-1]
        if width is not None and width % 2:
            raise ValueError(
                "RotaryEmbedding rotates feature pairs: the last dimension must be even, "
                f"got {width}."
            )
        half = ops.arange(0, width, 2, dtype="float32") / width  # 2i/d, (d/2,)
        theta = (
            ops.power(float(self.max_wavelength), -half) / self.scaling_factor
        )  # θ_i = λ^{-2i/d}/s
        angles = ops.expand_dims(positions_of(inputs, start_index), -1) * theta  # p θ_i, (T, d/2)
        angles = ops.concatenate([angles, angles], axis=-1)  # θ over both halves, (T, d)
        middle_axes = (1,) * (len(inputs.shape) - 3)  # e.g. the heads axis
        angles = ops.reshape(angles, (1, -1, *middle_axes, width))  # (1, T, ..., d)
        cos = ops.cast(ops.cos(angles), self.compute_dtype)
        sin = ops.cast(ops.sin(angles), self.compute_dtype)
        x1, x2 = ops.split(inputs, 2, axis=-1)
        rotated_half = ops.concatenate([-x2, x1], axis=-1)  # [-x_2, x_1]
        return inputs * cos + rotated_half * sin  # RoPE(x, p) = x ⊙ cos(pθ) + [-x_2, x_1] ⊙ sin(pθ)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"max_wavelength": self.max_wavelength, "scaling_factor": self.scaling_factor}
        return {**super().get_config(), **config}
