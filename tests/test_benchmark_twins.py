"""The benchmarks' twins compute what they stand for: the plain-PyTorch loop `torch.nn.LSTM`'s
function, the plain-JAX and plain-TensorFlow MiniGPT twins the PyTorch twin's training steps."""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from torch_minigpt import LoopLSTM, train_step, twin  # noqa: E402


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


def torch_layout(model):
    """The PyTorch twin's weights in `minigpt_params`'s layout (`x @ W`: nn.Linear's transposed)."""

    def array(tensor):
        return tensor.detach().numpy().copy()

    def linear(layer):
        return array(layer.weight.T), array(layer.bias)

    blocks = []
    for block in model.blocks:
        (W_qkv, b_qkv), (W_o, b_o) = linear(block.qkv), linear(block.proj)
        (W_1, b_1), (W_2, b_2) = linear(block.fc), linear(block.out)
        blocks.append(
            dict(W_qkv=W_qkv, b_qkv=b_qkv, W_o=W_o, b_o=b_o, W_1=W_1, b_1=b_1, W_2=W_2, b_2=b_2)
        )
        blocks[-1].update(ln1_g=array(block.ln1.weight), ln1_b=array(block.ln1.bias))
        blocks[-1].update(ln2_g=array(block.ln2.weight), ln2_b=array(block.ln2.bias))
    return {
        "wte": array(model.wte.weight),
        "wpe": array(model.wpe.weight),
        "blocks": blocks,
        "lnf_g": array(model.ln_f.weight),
        "lnf_b": array(model.ln_f.bias),
    }


@pytest.mark.parametrize("library", ["jax_minigpt", "tf_minigpt"])
def test_minigpt_twins_take_the_pytorch_twins_steps(library):
    """Three AdamW steps on one batch from the same weights: the same losses (the later ones read
    the updated weights; a large learning rate and weight decay make a wrong update show)."""
    pytest.importorskip({"jax_minigpt": "jax", "tf_minigpt": "tensorflow"}[library])
    import importlib

    from keraseq.training import TrainConfig

    config = TrainConfig(
        model="transformer",
        num_layers=2,
        num_heads=2,
        hidden_dim=8,
        sequence_length=6,
        learning_rate=0.05,
        weight_decay=0.5,
    ).resolved()
    vocab, rng = 11, np.random.default_rng(0)
    batches = [rng.integers(0, vocab, (2, 2, 6))] * 3  # (x, y) of (B, T): the same batch thrice
    torch.manual_seed(0)
    model, optimizer = twin(config, vocab)
    for block in model.blocks:  # norms away from 1 and 0, biases away from 0: all of them read
        for parameter in (*block.ln1.parameters(), *block.ln2.parameters(), block.qkv.bias):
            torch.nn.init.normal_(parameter, 0.5, 0.3)
    step = importlib.import_module(library).start(config, vocab, torch_layout(model))
    expected = [train_step(model, optimizer, b, config.global_clipnorm).item() for b in batches]
    losses = [float(step(x.astype("int32"), y.astype("int32"))) for x, y in batches]
    np.testing.assert_allclose(losses, expected, rtol=2e-5)
    assert expected[2] < expected[0] - 0.1  # the steps moved the weights
