"""keraseq.analysis: gradients on the current backend, checked against closed forms."""

import keras
import numpy as np
import pytest
from conftest import BACKEND, to_numpy

import keraseq
from keraseq.analysis import input_gradient_norms, value_and_grad


def test_value_and_grad_of_two_inputs():
    x = np.array([1.0, -2.0, 3.0], "float32")
    w = np.array([0.5, 4.0, -1.0], "float32")
    value, (gx, gw) = value_and_grad(lambda a, b: keras.ops.sum(a * a * b), x, w)
    np.testing.assert_allclose(to_numpy(value), np.sum(x * x * w), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gx), 2 * x * w, rtol=1e-6)  # d/dx x²w = 2xw
    np.testing.assert_allclose(to_numpy(gw), x * x, rtol=1e-6)  # d/dw x²w = x²


def test_value_and_grad_needs_an_input():
    with pytest.raises(ValueError, match="at least one input"):
        value_and_grad(lambda: 0.0)


@pytest.mark.parametrize("a", [0.5, 1.5])
def test_input_gradient_norms_of_a_linear_rnn(a):
    """h_t = a h_{t-1} + x_t, so h_T = Σ a^(T-t) x_t and ∂(Σ h_T)/∂x_t = a^(T-t) · 1."""
    units, steps = 3, 6
    layer = keraseq.layers.SimpleRNN(units, activation="linear")
    x = np.random.default_rng(0).normal(size=(2, steps, units)).astype("float32")
    layer(x)
    layer.set_weights([np.eye(units), a * np.eye(units), np.zeros(units)])
    norms = input_gradient_norms(layer, x)
    expected = a ** np.arange(steps - 1, -1, -1) * np.sqrt(units)
    print(BACKEND, norms)
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


def test_input_gradient_norms_rejects_sequence_outputs():
    x = np.zeros((1, 4, 2), "float32")
    with pytest.raises(ValueError, match="return_sequences=False"):
        input_gradient_norms(keraseq.layers.SimpleRNN(2, return_sequences=True), x)
    with pytest.raises(ValueError, match="batch, timesteps, features"):
        input_gradient_norms(keraseq.layers.SimpleRNN(2), x[0])
