"""The gated recurrent unit (Cho et al., 2014): the LSTM's lighter cousin, two gates and no c_t."""

import keras
from keras import ops

from keraseq.layers.recurrent.cell import GatedCell
from keraseq.layers.recurrent.loop import RecurrentLayer


@keras.saving.register_keras_serializable(package="keraseq")
class GRUCell(GatedCell):
    r"""One step of the GRU.

    $$
    \begin{aligned}
    z_t &= \sigma(W_{zx} x_t + W_{zh} h_{t-1} + b_z) && \text{update gate} \\
    r_t &= \sigma(W_{rx} x_t + W_{rh} h_{t-1} + b_r) && \text{reset gate} \\
    \tilde h_t &= \tanh\big(W_{hx} x_t + r_t \odot (W_{hh} h_{t-1} + b_{hh}) + b_{hx}\big)
        && \text{candidate, } \texttt{reset\_after=True} \\
    \tilde h_t &= \tanh\big(W_{hx} x_t + W_{hh} (r_t \odot h_{t-1}) + b_h\big)
        && \text{candidate, } \texttt{reset\_after=False} \\
    h_t &= z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t
    \end{aligned}
    $$

    One state instead of the LSTM's two, three weight blocks instead of four.

    Weights: `kernel` `(features, 3 * units)` and `recurrent_kernel` `(units, 3 * units)` hold the
    input and recurrent blocks in the order z, r, h, as `keras.layers.GRUCell`. With
    `reset_after=True` (the default, like Keras and cuDNN/torch) `bias` is `(2, 3 * units)`: row 0
    the input biases, row 1 the recurrent ones (the reset gate multiplies $W_{hh} h_{t-1} +
    b_{hh}$).
    With `reset_after=False` (the 2014 paper) `bias` is `(3 * units,)`.

    Args:
        units: Positive integer, the size of $h_t$.
        activation: The candidate's nonlinearity, `"tanh"` by default.
        recurrent_activation: The gates' nonlinearity σ, `"sigmoid"` by default.
        use_bias: Whether to add biases.
        reset_after: Apply the reset gate after the recurrent matrix product (True) or before.
        kernel_initializer, recurrent_initializer, bias_initializer: Initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs $x_t$ to drop, in [0, 1).
        recurrent_dropout: Fraction of $h_{t-1}$ to drop in the recurrence, in [0, 1).
        seed: Seed of the dropout masks.

    Call arguments:
        inputs: $x_t$, shape `(batch, features)`.
        states: $h_{t-1}$, shape `(batch, units)` (or a one-element list of it).
        training: Whether dropout is on.

    Returns:
        `(h_t, new_states)`.

    Example:

    ```python
    h = keras.layers.RNN(keraseq.layers.GRUCell(64))(np.zeros((4, 7, 8), "float32"))  # (4, 64)
    ```
    """

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = reset_after

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        bias = super().input_bias()
        return bias[0] if bias is not None and self.reset_after else bias

    def step(self, xw_t, states, h_mask=None):
        h_prev = states[0]
        h_in = h_prev if h_mask is None else h_prev * h_mask
        x_z, x_r, x_h = ops.split(xw_t, 3, axis=-1)  # W_·x x_t + b_·x
        recurrent_kernel = self.recurrent_kernel.value  # `@` on values: see `RecurrentCell`
        if self.reset_after:
            hw = h_in @ recurrent_kernel
            if self.bias is not None:
                hw = hw + self.bias.value[1]
            h_z, h_r, h_h = ops.split(hw, 3, axis=-1)  # W_·h h_{t-1} + b_·h
        else:
            h_z, h_r = ops.split(h_in @ recurrent_kernel[:, : 2 * self.units], 2, axis=-1)
        z_t = self.recurrent_activation(x_z + h_z)  # z_t = σ(W_zx x_t + W_zh h_{t-1} + b_z)
        r_t = self.recurrent_activation(x_r + h_r)  # r_t = σ(W_rx x_t + W_rh h_{t-1} + b_r)
        if self.reset_after:
            h_tilde = self.activation(
                x_h + r_t * h_h
            )  # h̃_t = tanh(W_hx x_t + r_t ⊙ (W_hh h_{t-1} + b_hh) + b_hx)
        else:
            h_tilde = self.activation(
                x_h + (r_t * h_in) @ recurrent_kernel[:, 2 * self.units :]
            )  # h̃_t = tanh(W_hx x_t + W_hh (r_t ⊙ h_{t-1}) + b_h)
        h_t = z_t * h_prev + (1 - z_t) * h_tilde  # h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ h̃_t
        return h_t, [h_t]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


@keras.saving.register_keras_serializable(package="keraseq")
class GRU(RecurrentLayer):
    r"""The GRU over a whole sequence: `GRUCell` in keraseq's loop.

    Weights, arguments and behaviour are those of `keras.layers.GRU` (with `reset_after=True` by
    default, like Keras); see `GRUCell` for the equations and the weight layout.

    Args:
        units: Positive integer, the size of $h_t$.
        return_sequences: Return every $h_t$ `(batch, T, units)` instead of the last one.
        return_state: Also return the final state.
        go_backwards: Process the sequence from the end (outputs come in processing order).
        stateful: Keep the final state of each batch as the initial state of the next.
        unroll: Unroll the loop (faster for short sequences, more memory).
        zero_output_for_mask: Output zeros, not the previous output, at masked steps.
        **kwargs: Every `GRUCell` argument (`activation`, `recurrent_activation`, `use_bias`,
            `reset_after`, initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`) and the base layer's (`name`, `dtype`, ...).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: Optional $h_0$, `(batch, units)`.
        mask: Optional boolean `(batch, timesteps)`; masked steps keep the previous state.
        training: Whether dropout is on.

    Example:

    ```python
    layer = keraseq.layers.GRU(64, return_sequences=True)
    y = layer(np.zeros((4, 7, 8), "float32"))                 # (4, 7, 64)
    ```
    """

    cell_class = GRUCell
