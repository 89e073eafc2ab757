"""The loop over time: a `keras.layers.RNN` whose inner loop is written with `keras.ops.scan`."""

import inspect

import keras
from keras import ops


class RecurrentLayer(keras.layers.RNN):
    """Runs a keraseq cell over a sequence `(batch, timesteps, features)`.

    Everything around the loop (initial and stateful states, `return_sequences`, `return_state`,
    `go_backwards`, masks, `keras.layers.Bidirectional`) is `keras.layers.RNN`'s. Only the loop
    itself differs: one `keras.ops.scan` over time that calls the cell's `step` directly, without
    the per-step `Layer.__call__`, and that keeps the history of the states only when it is needed
    (`return_sequences`), else just the final states.

    The input projection $W_x x_t + b$ does not depend on $h_{t-1}$, so it could leave the loop as
    one large matrix product over the whole sequence. It stays in the step: hoisting it made a
    training step 1.1x to 4x slower on all three backends (`benchmarks/recurrent_train_step.py`'s
    LSTM and GRU, 16 features, 128 units), because the scan then slices, and back-propagates into, a
    `(timesteps, batch, gates * units)` tensor instead of the inputs, which are usually narrower and
    often need no gradient at all.

    Subclasses set `cell_class`; every constructor argument the cell accepts is forwarded to it and
    readable back as an attribute of the layer (`layer.units`, `layer.activation`, ...).
    """

    cell_class = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _cell_arguments(cls.cell_class):
            if not hasattr(cls, name):
                setattr(cls, name, property(lambda self, n=name: getattr(self.cell, n)))

    def __init__(
        self,
        units,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        cell_names = _cell_arguments(self.cell_class)
        cell_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in cell_names}
        for key in ("dtype", "trainable"):
            if key in kwargs:
                cell_kwargs[key] = kwargs[key]
        cell = self.cell_class(units, name=f"{self.cell_class.__name__.lower()}", **cell_kwargs)
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) != 3:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape (batch, timesteps, features), "
                f"got shape {sequences_shape} (rank {len(sequences_shape)}, expected rank 3)."
            )
        super().build(sequences_shape, initial_state_shape)
        self.input_spec = keras.InputSpec(ndim=3, axes={-1: sequences_shape[-1]})

    def inner_loop(self, sequences, initial_state, mask, training=False):
        cell = self.cell
        if mask is not None:
            mask = time_mask(mask, sequences.shape, type(self).__name__)
        states = list(initial_state)
        x_mask, h_mask = cell.dropout_masks(sequences[:, 0, :], states[0], training)
        if x_mask is not None:
            sequences = sequences * ops.expand_dims(x_mask, 1)  # same mask at every step
        xs = ops.moveaxis(sequences, 1, 0)  # (T, B, features)
        # Every keraseq cell outputs its first state (h_t), so when every output is needed the scan
        # emits the new states (the structure of the carry, as the TensorFlow backend's `ops.scan`
        # requires) and the outputs are their first entry. Otherwise it emits nothing: the last
        # output is the final h_T.
        keep_history = self.return_sequences or (mask is not None and self.zero_output_for_mask)

        if mask is None:

            def step(states, x_t):
                _, new_states = cell.step(cell.project_inputs(x_t), states, h_mask)
                return new_states, new_states if keep_history else None

        else:
            # (T, B, 1): at a masked step the states are carried over unchanged, so the output is
            # the previous output, as in keras.layers.RNN.
            mask = ops.expand_dims(ops.moveaxis(ops.cast(mask, "bool"), 1, 0), -1)
            xs = (xs, mask)

            def step(states, inputs):
                x_t, m_t = inputs
                _, new_states = cell.step(cell.project_inputs(x_t), states, h_mask)
                new_states = [ops.where(m_t, new, old) for new, old in zip(new_states, states)]
                return new_states, new_states if keep_history else None

        states, history = ops.scan(step, states, xs, reverse=self.go_backwards, unroll=self.unroll)
        if not keep_history:
            return states[0], ops.expand_dims(states[0], 1), states
        outputs = history[0]  # (T, B, units)
        if mask is not None and self.zero_output_for_mask:
            outputs = ops.where(mask, outputs, ops.zeros_like(outputs))
        if self.go_backwards:
            outputs = ops.flip(outputs, axis=0)  # in processing order, as keras.layers.RNN
        return outputs[-1], ops.moveaxis(outputs, 0, 1), states

    def get_config(self):
        config = super().get_config()
        cell_config = config.pop("cell")["config"]
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def time_mask(mask, sequences_shape, owner):
    """The mask as `(batch, timesteps)`: Keras's RNN also accepts `(batch, timesteps, 1)`."""
    shape, expected = tuple(mask.shape), tuple(sequences_shape[:2])
    if len(shape) == 3 and shape[2] == 1:
        mask, shape = ops.squeeze(mask, -1), shape[:2]
    if len(shape) != 2 or any(
        m is not None and e is not None and m != e for m, e in zip(shape, expected)
    ):
        raise ValueError(
            f"{owner} expects a mask of shape (batch, timesteps) = {expected} (or with a last "
            f"axis of 1), got shape {tuple(mask.shape)}."
        )
    return mask


def _cell_arguments(cell_class):
    """The constructor arguments of a cell class and of its bases (minus `self` and `**kwargs`)."""
    names = set()
    for klass in cell_class.__mro__:
        if klass is keras.layers.Layer:
            break
        if "__init__" in vars(klass):
            names.update(
                p.name
                for p in inspect.signature(klass.__init__).parameters.values()
                if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
            )
    return names
