"""What every recurrent cell shares: the weights W_x, W_h, b and the dropout masks.

A cell does one time step. Its input weights and recurrent weights are stored the way Keras stores
them, so a keraseq cell and its `keras.layers` twin have the same weights in the same order:

* `kernel`, shape `(input_dim, gates * units)`: the input half of every gate's matrix, side by side;
* `recurrent_kernel`, shape `(units, gates * units)`: the recurrent half, side by side;
* `bias`, shape `(gates * units,)`.

The textbook writes one matrix per gate acting on the concatenation `[h_{t-1}, x_t]`. Splitting it
by
columns of the concatenation gives the two Keras matrices:

$$W_\\cdot [h_{t-1}, x_t] = W_{\\cdot h}\\, h_{t-1} + W_{\\cdot x}\\, x_t,$$

so `kernel` holds the $W_{\\cdot x}$ blocks (transposed, because Keras multiplies `x @ kernel`) and
`recurrent_kernel` the $W_{\\cdot h}$ blocks.
"""

import keras
from keras import ops

from keraseq.layers import validation


class RecurrentCell(keras.layers.Layer):
    """Base class of `SimpleRNNCell`, `LSTMCell` and `GRUCell`.

    A subclass sets `gates` (how many `units`-wide blocks its kernels hold) and implements
    `step(xw_t, states, h_mask)`, the recurrence given the already projected input
    $W_x x_t + b$. `call` does one whole step: project, then `step`. The keraseq loop layers call
    `project_inputs` and `step` at each time step, and draw the dropout masks once per sequence.

    In a plain `keras.layers.RNN(cell)`, `call` draws new dropout masks at every step, and on JAX a
    compiled `fit` with dropout > 0 fails (the seed generator's update leaks out of the scan's
    trace: Keras's own cells avoid it with a private mixin). Use the keraseq layers for dropout.
    """

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = validation.positive_int("units", units)
        self.activation = validation.activation("activation", activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = validation.rate("dropout", dropout)
        self.recurrent_dropout = validation.rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Keras's convention: an int for a single state, a list for several (see LSTMCell).
        self.state_size = self.units
        self.output_size = self.units

    # --- weights -------------------------------------------------------------------------------
    def bias_shape(self):
        return (self.gates * self.units,)

    def build_bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} does one time step: it expects inputs of shape "
                f"(batch, features), got shape {input_shape}. For whole sequences of shape "
                "(batch, timesteps, features) use the layer (e.g. keraseq.layers.LSTM) or "
                "keras.layers.RNN(cell)."
            )
        input_dim = input_shape[-1]
        self.input_spec = keras.InputSpec(ndim=2, axes={-1: input_dim})
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                name="bias",
                initializer=self.build_bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    # --- the step ------------------------------------------------------------------------------
    # The step multiplies with `@` on the variables' values rather than `ops.matmul`: the same
    # product on every backend, without Keras's dtype checks (about 20 µs a call on eager torch,
    # 6% of an LSTM training step: benchmarks/recurrent_train_step.py).
    def input_bias(self):
        return None if self.bias is None else self.bias.value

    def project_inputs(self, inputs):
        """$W_x x + b$ for one step `(batch, features)` or a sequence `(batch, time, features)`."""
        xw = inputs @ self.kernel.value
        bias = self.input_bias()
        return xw if bias is None else xw + bias

    def step(self, xw_t, states, h_mask=None):
        """One step of the recurrence from the projected input `xw_t` = $W_x x_t + b$."""
        raise NotImplementedError

    def dropout_masks(self, inputs, h_prev, training):
        """Keras-style dropout masks: one for the inputs, one for $h_{t-1}$ (`None` when off)."""
        if not training:
            return None, None
        x_mask = h_mask = None
        if self.dropout > 0:
            x_mask = keras.random.dropout(
                ops.ones_like(inputs), self.dropout, seed=self.seed_generator
            )
        if self.recurrent_dropout > 0:
            h_mask = keras.random.dropout(
                ops.ones_like(h_prev), self.recurrent_dropout, seed=self.seed_generator
            )
        return x_mask, h_mask

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        state_list = list(states) if nested else [states]
        x_mask, h_mask = self.dropout_masks(inputs, state_list[0], training)
        if x_mask is not None:
            inputs = inputs * x_mask
        output, new_states = self.step(self.project_inputs(inputs), state_list, h_mask)
        if not nested and len(new_states) == 1:
            return output, new_states[0]
        return output, new_states

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": keras.regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": keras.constraints.serialize(self.recurrent_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


class GatedCell(RecurrentCell):
    """A cell with gates: adds `recurrent_activation` (σ), used by `LSTMCell` and `GRUCell`."""

    def __init__(self, units, recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, **kwargs)
        self.recurrent_activation = validation.activation(
            "recurrent_activation", recurrent_activation
        )

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = keras.activations.serialize(self.recurrent_activation)
        return config
