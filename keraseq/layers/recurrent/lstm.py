"""Long short-term memory (Hochreiter & Schmidhuber, 1997): gates and a cell-state highway."""

import keras
from keras import ops

from keraseq.layers.recurrent.cell import GatedCell
from keraseq.layers.recurrent.loop import RecurrentLayer


@keras.saving.register_keras_serializable(package="keraseq")
class LSTMCell(GatedCell):
    r"""One step of the LSTM.

    $$
    \begin{aligned}
    i_t &= \sigma(W_i [h_{t-1}, x_t] + b_i) && \text{input gate} \\
    f_t &= \sigma(W_f [h_{t-1}, x_t] + b_f) && \text{forget gate} \\
    \tilde c_t &= \tanh(W_c [h_{t-1}, x_t] + b_c) && \text{candidate} \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t && \text{cell state} \\
    o_t &= \sigma(W_o [h_{t-1}, x_t] + b_o) && \text{output gate} \\
    h_t &= o_t \odot \tanh(c_t)
    \end{aligned}
    $$

    The cell state $c_t$ is the highway: from $c_{t-1}$ to $c_t$ it is only scaled by $f_t$ and
    added to, so its gradient is not squashed by a $\tanh'$ at every step as the RNN's is.

    Weights: each $W_\cdot [h_{t-1}, x_t]$ is $W_{\cdot h} h_{t-1} + W_{\cdot x} x_t$. `kernel`
    `(features, 4 * units)` holds $[W_{ix}; W_{fx}; W_{cx}; W_{ox}]^\top$, `recurrent_kernel`
    `(units, 4 * units)` the $W_{\cdot h}^\top$ blocks and `bias` `(4 * units,)` the $b_\cdot$,
    gates in the
    order i, f, c, o: exactly `keras.layers.LSTMCell`'s weights (and torch's i, f, g, o).

    Args:
        units: Positive integer, the size of $h_t$ and $c_t$.
        activation: The candidate's and output's nonlinearity, `"tanh"` by default.
        recurrent_activation: The gates' nonlinearity σ, `"sigmoid"` by default.
        use_bias: Whether to add the $b_\cdot$.
        unit_forget_bias: Start $b_f$ at 1, so the cell remembers by default (Jozefowicz et al.,
            2015), as Keras does.
        kernel_initializer, recurrent_initializer, bias_initializer: Initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs $x_t$ to drop, in [0, 1).
        recurrent_dropout: Fraction of $h_{t-1}$ to drop in the recurrence, in [0, 1).
        seed: Seed of the dropout masks.

    Call arguments:
        inputs: $x_t$, shape `(batch, features)`.
        states: `[h_{t-1}, c_{t-1}]`, each `(batch, units)`.
        training: Whether dropout is on.

    Returns:
        `(h_t, [h_t, c_t])`.

    Example:

    ```python
    cell = keraseq.layers.LSTMCell(64)
    h = keras.layers.RNN(cell)(np.zeros((4, 7, 8), "float32"))   # (4, 64)
    ```
    """

    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def build_bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def forget_bias_one(_, *args, **kwargs):  # b_f = 1, the other gates as configured
            return ops.concatenate(
                [
                    base((units,), *args, **kwargs),
                    keras.initializers.get("ones")((units,), *args, **kwargs),
                    base((2 * units,), *args, **kwargs),
                ]
            )

        return forget_bias_one

    def step(self, xw_t, states, h_mask=None):
        h_prev, c_prev = states
        h_in = h_prev if h_mask is None else h_prev * h_mask
        # All four W·[h_{t-1}, x_t] + b at once; xw_t already holds W_x x_t + b.
        z_i, z_f, z_c, z_o = ops.split(xw_t + h_in @ self.recurrent_kernel.value, 4, axis=-1)
        i_t = self.recurrent_activation(z_i)  # i_t = σ(W_i·[h_{t-1}, x_t] + b_i)
        f_t = self.recurrent_activation(z_f)  # f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
        c_tilde = self.activation(z_c)  # c̃_t = tanh(W_c·[h_{t-1}, x_t] + b_c)
        c_t = f_t * c_prev + i_t * c_tilde  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t
        o_t = self.recurrent_activation(z_o)  # o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
        h_t = o_t * self.activation(c_t)  # h_t = o_t ⊙ tanh(c_t)
        return h_t, [h_t, c_t]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@keras.saving.register_keras_serializable(package="keraseq")
class LSTM(RecurrentLayer):
    r"""The LSTM over a whole sequence: `LSTMCell` in keraseq's loop.

    Weights, arguments and behaviour are those of `keras.layers.LSTM`, so
    `ours.set_weights(builtin.get_weights())` gives the same outputs; see `LSTMCell` for the
    equations and how the weights map to them.

    Args:
        units: Positive integer, the size of $h_t$ and $c_t$.
        return_sequences: Return every $h_t$ `(batch, T, units)` instead of the last one.
        return_state: Also return the final $h_T$ and $c_T$.
        go_backwards: Process the sequence from the end (outputs come in processing order).
        stateful: Keep the final states of each batch as the initial states of the next.
        unroll: Unroll the loop (faster for short sequences, more memory).
        zero_output_for_mask: Output zeros, not the previous output, at masked steps.
        **kwargs: Every `LSTMCell` argument (`activation`, `recurrent_activation`, `use_bias`,
            `unit_forget_bias`, initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`) and the base layer's (`name`, `dtype`, ...).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: Optional `[h_0, c_0]`, each `(batch, units)`.
        mask: Optional boolean `(batch, timesteps)`; masked steps keep the previous states.
        training: Whether dropout is on.

    Example:

    ```python
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(100, 16, mask_zero=True),   # the mask flows into the LSTM
        keraseq.layers.LSTM(64),
        keras.layers.Dense(2),
    ])
    ```
    """

    cell_class = LSTMCell
