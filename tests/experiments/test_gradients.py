"""Claims 1, 2 and 4, measured: vanishing, exploding, clipping, the LSTM's cell-state highway."""

import math

import keras
import numpy as np
import pytest
from conftest import to_numpy

from keraseq.experiments.claims import exploding, highway, vanishing
from keraseq.layers import LSTMCell, SimpleRNNCell


@pytest.fixture(scope="module")
def gradients():
    return vanishing.run(width=16, length=48, batch_size=8, verbose=0)


def test_rnn_gradient_at_distance_30_is_orders_below_the_lstm(gradients):
    rel = gradients["relative"]
    assert rel["rnn"][0] == rel["lstm"][0] == 1.0
    assert rel["rnn"][30] < rel["lstm"][30] / 10  # same initializers, same inputs, same width
    assert rel["rnn"][45] < rel["lstm"][45] / 100
    assert gradients["vanished_at"]["rnn"] < gradients["vanished_at"]["lstm"]


def test_attention_gradient_does_not_vanish_with_distance(gradients):
    far = gradients["relative"]["transformer"][30:]
    assert gradients["vanished_at"]["transformer"] is None
    assert min(far) > 10 * gradients["relative"]["rnn"][30]


def test_radius_above_one_gives_growing_norms_below_one_shrinking():
    result = exploding.run(radii=(0.8, 1.5), width=16, length=20, train_steps=1, verbose=0)
    grow, shrink = result["norms"]["1.5"], result["norms"]["0.8"]
    assert grow[10] > 10 * grow[0] and grow[19] > 10 * grow[10]  # about 1.5^10 = 58 per 10 steps
    assert shrink[10] < shrink[0] / 2
    assert result["growth"]["1.5"] > 1e2 and result["growth"]["0.8"] < 1e-1


def test_clipping_bounds_the_update():
    lr, clip = 0.5, 1.0
    unclipped = exploding.train_curves(None, 1.5, 16, 20, 8, lr, seed=0)
    clipped = exploding.train_curves(clip, 1.5, 16, 20, 8, lr, seed=0)
    assert max(clipped["update_norm"]) <= lr * clip * (1 + 1e-4)  # SGD: ‖Δw‖ = η ‖clip(g)‖ ≤ η c
    assert max(unclipped["update_norm"]) > 2 * lr * clip  # without it, steps beyond the bound
    assert clipped["loss"][0] == pytest.approx(unclipped["loss"][0], rel=1e-5)  # same start


def test_forget_gates_are_recomputed_from_the_weights():
    cell = LSTMCell(8)
    x = np.random.default_rng(0).normal(size=(4, 5, 3)).astype("float32")
    cell(x[:, 0], cell.get_initial_state(4))
    gates = highway.forget_gates(cell, x)
    kernel, bias = to_numpy(cell.kernel), to_numpy(cell.bias)
    f0 = 1 / (1 + np.exp(-(x[:, 0] @ kernel[:, 8:16] + bias[8:16])))  # h_0 = 0: σ(W_fx x_0 + b_f)
    assert gates["mean"][0] == pytest.approx(float(f0.mean()), abs=1e-5)
    assert gates["p10"][0] <= gates["mean"][0] <= gates["p90"][0]


@pytest.mark.parametrize("cell, index", [(LSTMCell(8), 1), (SimpleRNNCell(8), 0)])
def test_state_gradient_at_distance_zero_is_the_identity(cell, index):
    x = np.random.default_rng(0).normal(size=(4, 30, 3)).astype("float32")
    cell(x[:, 0], cell.get_initial_state(4))
    norms = highway.state_gradient_norms(cell, x, index)
    assert len(norms) == 30
    assert norms[0] == pytest.approx(math.sqrt(8), rel=1e-5)  # ∂ 1ᵀs_T / ∂ s_T = 1, norm √units


def test_cell_state_carries_more_gradient_than_the_rnn_state():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(8, 40, 6)).astype("float32")
    lstm, rnn = LSTMCell(16), SimpleRNNCell(16)
    for cell in (lstm, rnn):
        cell(x[:, 0], cell.get_initial_state(8))
    c = highway.state_gradient_norms(lstm, x, 1)
    h = highway.state_gradient_norms(rnn, x, 0)
    assert c[30] > 10 * h[30]
