r"""Claim 4: the LSTM's cell state is a highway. Forget gates, and the gradient along $c_t$.

From $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$, the direct path from $c_{t-1}$ to $c_t$ is
multiplied by $f_t$ alone: no weight matrix, no $\tanh'$. The RNN's $h_t = \tanh(W_{hh} h_{t-1} +
\dots)$ multiplies its gradient by $\operatorname{diag}(1 - h_t^2) W_{hh}$ at every step.

Measured, for an LSTM and an RNN at initialisation and after training on the recall task (cue
`delay` steps back, among distractors): the mean forget gate $f_t$ at each step (recomputed from the
cell's weights), and $\lVert \partial \mathbf{1}^\top c_T / \partial c_t \rVert$ against
$\lVert \partial \mathbf{1}^\top h_T / \partial h_t \rVert$, measured by adding a zero
perturbation to the state at each step and differentiating with respect to it.
"""

import keras
import numpy as np
from keras import ops

from keraseq.analysis import value_and_grad
from keraseq.experiments.support import plotting
from keraseq.experiments.support.recall import (
    RecallBudget,
    recall_accuracy,
    recall_batch,
    train_recall,
)

QUICK = dict(delay=12)  # the quick tour's arguments of `run`
# The full tour's delay is the longest that the LSTM recalls in `memory` at its budget: the
# gates of a model that did not learn the task say nothing about memory (at 40 it stayed at chance).
FULL = dict(delay=20)
WIDTH = None  # the argument that `keraseq evolve --width` sets (None: none)
STEPS = None  # the argument that `--steps` sets
USES = ("budget",)  # what the tour passes in: the shared RecallBudget, the corpus

STATE_INDEX = {"lstm": 1, "rnn": 0}  # c_t for the LSTM, h_t for the RNN


def unroll(cell, x, state_index, deltas=None):
    """Runs `cell` over `x` `(B, T, F)` step by step; returns the final states and every $f_t$.

    `deltas` `(T, B, units)`, if given, is added to state `state_index` after each step.
    Forget gates are recorded for an LSTM cell only (an empty list otherwise).
    """
    states = cell.get_initial_state(x.shape[0])
    xw = cell.project_inputs(x)  # (B, T, gates * units)
    forget = []
    for t in range(x.shape[1]):
        if state_index == 1:  # the LSTM: f_t = σ(W_f·[h_{t-1}, x_t] + b_f), recomputed
            z = xw[:, t] + ops.matmul(states[0], cell.recurrent_kernel)
            forget.append(cell.recurrent_activation(ops.split(z, 4, axis=-1)[1]))
        _, states = cell.step(xw[:, t], states)
        if deltas is not None:
            states[state_index] = states[state_index] + deltas[t]
    return states, forget


def state_gradient_norms(cell, x, state_index):
    """$\\lVert \\partial \\mathbf{1}^\\top s_T / \\partial s_t \\rVert$ per step $t$ (mean)."""
    x = ops.convert_to_tensor(x)
    zeros = np.zeros((x.shape[1], x.shape[0], cell.units), dtype="float32")

    def final_state_sum(deltas):
        states, _ = unroll(cell, x, state_index, deltas)
        return ops.sum(states[state_index])

    _, (grad,) = value_and_grad(final_state_sum, zeros)  # (T, B, units): ∂L/∂s_t
    norms = ops.convert_to_numpy(ops.mean(ops.sqrt(ops.sum(ops.square(grad), axis=-1)), axis=1))
    return [float(v) for v in norms[::-1]]  # distance 0 first


def forget_gates(cell, x):
    """The mean forget gate at each step `(T,)` and its 10th and 90th percentiles over units."""
    _, forget = unroll(cell, ops.convert_to_tensor(x), 1)
    f = np.stack([ops.convert_to_numpy(v) for v in forget])  # (T, B, units)
    return {
        "mean": [float(v) for v in f.mean(axis=(1, 2))],
        "p10": [float(v) for v in np.percentile(f, 10, axis=(1, 2))],
        "p90": [float(v) for v in np.percentile(f, 90, axis=(1, 2))],
    }


def run(delay=20, budget=None, seed=0, verbose=1):
    """Forget gates and state gradients of an LSTM and an RNN, initialised and trained.

    Returns:
        `{"delay", "step": [0..T-1], "distance": [0..T-1], "forget_gate": {"initialised": {"mean",
        "p10", "p90"}, "trained": {...}}, "state_gradient": {"lstm initialised": [...],
        "lstm trained": ..., "rnn initialised": ..., "rnn trained": ...}, "accuracy": {...}}`.
    """
    budget = budget or RecallBudget()
    length = delay + 1
    x, _ = recall_batch(
        np.random.default_rng([seed, 2]), 32, length, delay, budget.num_symbols, True
    )
    gates, gradients, accuracy = {}, {}, {}
    bar = keras.utils.Progbar(4, verbose=verbose, unit_name="model")
    for kind, index in STATE_INDEX.items():
        model = train_recall(kind, budget, length, delay, True, seed)
        trained = model.layers[0].cell
        initialised = keras.models.clone_model(model).layers[0].cell  # fresh weights, same seed
        accuracy[f"{kind} trained"] = recall_accuracy(model, budget, length, delay, True, seed)
        for state, cell in (("initialised", initialised), ("trained", trained)):
            gradients[f"{kind} {state}"] = state_gradient_norms(cell, x, index)
            if kind == "lstm":
                gates[state] = forget_gates(cell, x)
            bar.add(1)
    return {
        "delay": delay,
        "step": list(range(length)),
        "distance": list(range(length)),
        "forget_gate": gates,
        "state_gradient": gradients,
        "accuracy": accuracy,
        "budget": vars(budget),
    }


def plot(result, path):
    with plotting.figure(path, "The LSTM's cell-state highway", ncols=2) as (gates, grads):
        for state, f in result["forget_gate"].items():
            (line,) = gates.plot(result["step"], f["mean"], label=f"LSTM {state}: mean f_t")
            gates.fill_between(
                result["step"], f["p10"], f["p90"], color=line.get_color(), alpha=0.2
            )
        gates.set_xlabel("step t (cue at 0, query at the end)")
        gates.set_ylabel("forget gate f_t (mean, 10-90%)")
        gates.set_ylim(0, 1)
        gates.legend()
        for name, values in result["state_gradient"].items():
            state = "c" if name.startswith("lstm") else "h"
            grads.semilogy(result["distance"], values, label=f"{name}: ‖∂{state}_T/∂{state}_t‖")
        grads.set_xlabel("distance T - t (steps)")
        grads.set_ylabel("gradient along the state")
        grads.legend(fontsize="small")
