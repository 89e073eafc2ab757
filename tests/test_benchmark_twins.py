"""The plain-PyTorch loop twin bounding the LSTM benchmarks computes `torch.nn.LSTM`'s function."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from torch_minigpt import LoopLSTM  # noqa: E402


def test_loop_lstm_equals_torch_lstm_with_the_same_weights():
    torch.manual_seed(0)
    reference = torch.nn.LSTM(5, 7, batch_first=True)
    loop = LoopLSTM(5, 7)
    with torch.no_grad():  # nn.LSTM keeps (4d, d_in) and two biases; the loop (d_in, 4d) and one
        loop.W_x.copy_(reference.weight_ih_l0.T)
        loop.W_h.copy_(reference.weight_hh_l0.T)
        loop.b.copy_(reference.bias_ih_l0 + reference.bias_hh_l0)
    x = torch.randn(3, 11, 5)
    expected = reference(x)[0]
    torch.testing.assert_close(loop(x), expected, atol=1e-6, rtol=1e-5)
    loop.return_sequences = False  # only the last h_t, as the layer benchmark trains it
    torch.testing.assert_close(loop(x), expected[:, -1], atol=1e-6, rtol=1e-5)
    loop.return_sequences = True
    # and the gradient through the loop matches too
    loop(x).square().sum().backward()
    reference(x)[0].square().sum().backward()
    torch.testing.assert_close(loop.W_h.grad, reference.weight_hh_l0.grad.T, atol=1e-5, rtol=1e-4)
