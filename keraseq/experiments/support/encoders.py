"""The four sequence encoders the experiments compare, at equal width.

Each maps sequences `(batch, T, features)` to one vector `(batch, width)` read at the last step:
the RNN, LSTM and GRU return their last state $h_T$; the Transformer projects the inputs to the
width, adds sinusoidal positions and reads the last position of one causal `TransformerBlock`.
"""

import keras

from keraseq.layers import SinusoidalPositionEncoding, TransformerBlock, validation
from keraseq.models import kinds


@keras.saving.register_keras_serializable(package="keraseq")
class CausalTransformerEncoder(keras.layers.Layer):
    r"""One causal Transformer block over projected inputs, read at the last position.

    $$z = x W + PE, \qquad y = \text{Block}(z)_{T}$$

    Args:
        width: The model width (of $z$ and $y$); `num_heads` must divide it.
        num_heads: Attention heads.
        **kwargs: Base layer arguments.
    """

    def __init__(self, width, num_heads=4, **kwargs):
        super().__init__(**kwargs)
        self.width = validation.positive_int("width", width)
        self.num_heads = validation.positive_int("num_heads", num_heads)
        self.projection = keras.layers.Dense(width, name="projection")
        self.positions = SinusoidalPositionEncoding(name="positions")
        self.block = TransformerBlock(num_heads, 4 * width, normalize_first=True, name="block")

    def build(self, input_shape):
        self.projection.build(input_shape)
        self.block.build((*input_shape[:-1], self.width))

    def call(self, inputs, training=None):
        z = self.projection(inputs)  # (B, T, width)
        z = z + self.positions(z)
        return self.block(z, training=training)[:, -1]  # causal: the last position sees every step

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.width)

    def get_config(self):
        return {**super().get_config(), "width": self.width, "num_heads": self.num_heads}


def sequence_encoder(kind, width):
    """The encoder of `kind` (`keraseq.models.kinds`) of width `width`, default initializers."""
    if kinds.check_kind(kind) == "transformer":
        return CausalTransformerEncoder(width)
    return kinds.recurrent_layer(kind)(width)


def measure_grid(kinds, values, measure, verbose=1, unit_name="run"):
    """`{kind: [measure(kind, v) for v in values]}` for every model, with a Keras progress bar."""
    bar = keras.utils.Progbar(len(kinds) * len(values), verbose=verbose, unit_name=unit_name)
    grid = {}
    for kind in kinds:
        grid[kind] = []
        for value in values:
            grid[kind].append(measure(kind, value))
            bar.add(1)
    return grid
