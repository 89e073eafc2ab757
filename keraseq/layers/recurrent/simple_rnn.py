"""The simple RNN (Elman, 1990; trained by backpropagation through time, Rumelhart et al., 1986)."""

import keras

from keraseq.layers.recurrent.cell import RecurrentCell
from keraseq.layers.recurrent.loop import RecurrentLayer


@keras.saving.register_keras_serializable(package="keraseq")
class SimpleRNNCell(RecurrentCell):
    r"""One step of the simple (Elman) RNN.

    $$h_t = \tanh(W_{hh}\, h_{t-1} + W_{xh}\, x_t + b_h)$$

    In code, `kernel` is $W_{xh}^\top$ (shape `(features, units)`), `recurrent_kernel` is
    $W_{hh}^\top$ (shape `(units, units)`) and `bias` is $b_h$: the same weights, in the same order,
    as `keras.layers.SimpleRNNCell`. The output is $h_t$ itself; the readout
    $y_t = W_{hy} h_t + b_y$ is a `Dense` layer on top (see the example).

    Args:
        units: Positive integer, the size of $h_t$.
        activation: The nonlinearity, `"tanh"` by default.
        use_bias: Whether to add $b_h$.
        kernel_initializer, recurrent_initializer, bias_initializer: Initializers of $W_{xh}$,
            $W_{hh}$ and $b_h$ (Keras's defaults: Glorot uniform, orthogonal, zeros).
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
    cell = keraseq.layers.SimpleRNNCell(32)
    rnn = keras.layers.RNN(cell, return_sequences=True)       # the loop over time
    readout = keras.layers.Dense(10)                          # y_t = W_hy h_t + b_y
    y = readout(rnn(np.zeros((4, 7, 8), "float32")))          # (4, 7, 10)
    ```
    """

    def step(self, xw_t, states, h_mask=None):
        h_prev = states[0]
        h_in = h_prev if h_mask is None else h_prev * h_mask
        h_t = self.activation(
            h_in @ self.recurrent_kernel.value + xw_t
        )  # h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)
        return h_t, [h_t]


@keras.saving.register_keras_serializable(package="keraseq")
class SimpleRNN(RecurrentLayer):
    r"""The simple RNN over a whole sequence: `SimpleRNNCell` in keraseq's loop.

    $$h_t = \tanh(W_{hh}\, h_{t-1} + W_{xh}\, x_t + b_h), \qquad t = 1, \dots, T$$

    Weights, arguments and behaviour are those of `keras.layers.SimpleRNN`, so
    `ours.set_weights(builtin.get_weights())` gives the same outputs.

    Args:
        units: Positive integer, the size of $h_t$.
        return_sequences: Return every $h_t$ `(batch, T, units)` instead of the last one.
        return_state: Also return the final state.
        go_backwards: Process the sequence from the end (outputs come in processing order).
        stateful: Keep the final state of each batch as the initial state of the next.
        unroll: Unroll the loop (faster for short sequences, more memory).
        zero_output_for_mask: Output zeros, not the previous output, at masked steps.
        **kwargs: Every `SimpleRNNCell` argument (`activation`, `use_bias`, initializers,
            regularizers, constraints, `dropout`, `recurrent_dropout`, `seed`) and the base layer's
            (`name`, `dtype`, ...).

    Call arguments:
        sequences: `(batch, timesteps, features)`.
        initial_state: Optional $h_0$, `(batch, units)`.
        mask: Optional boolean `(batch, timesteps)`; masked steps keep the previous state. Passed
            automatically after `keras.layers.Embedding(mask_zero=True)` or `keras.layers.Masking`.
        training: Whether dropout is on.

    Example:

    ```python
    model = keras.Sequential([
        keras.Input((None, 8)),
        keraseq.layers.SimpleRNN(32, return_sequences=True),
        keras.layers.Dense(10),                               # y_t = W_hy h_t + b_y
    ])
    ```
    """

    cell_class = SimpleRNNCell
