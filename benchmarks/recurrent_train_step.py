"""Time one training step of keraseq's LSTM and GRU against the Keras built-ins and plain PyTorch.

One step = forward, backward and Adam update of a model `recurrent layer (16 -> 128) + Dense(1)`
with a mean squared error, on a batch of 64 sequences of 100 steps. The Keras models (keraseq and
built-in, identical apart from the recurrent layer) are compiled the same way, with Keras's default
`jit_compile="auto"` (on CPU: XLA on JAX, a `tf.function` graph without XLA on TensorFlow, eager on
torch; the table records what it resolved to), and stepped with `train_on_batch`. The PyTorch
references (torch backend run only, in the same process) are
`torch.nn.LSTM`/`torch.nn.GRU` + `torch.nn.Linear`, and the LSTM equations written as a plain torch
loop with the input projection hoisted out of the loop and one fused gate matrix product
(`torch_minigpt.LoopLSTM`, also the loop twin of `lm_train_step.py`).

The contenders are timed in interleaved rounds (one step of each per round, in a shuffled order) so
that a noisy machine slows them alike; the table reports the median over the rounds, after warm-up
steps.

Usage:

    python benchmarks/recurrent_train_step.py                      # jax, tensorflow, torch
    python benchmarks/recurrent_train_step.py --backends torch --steps 20

Each backend runs in its own process (Keras picks its backend at import). The combined table is
printed and written to `benchmarks/results/recurrent_train_step.md` and `.json`.
"""

import harness
from harness import ratio, threads_report  # noqa: F401  (also used by benchmarks/attention_step.py)

BATCH, TIME, FEATURES, UNITS = 64, 100, 16, 128


# --- contenders: each returns a zero-argument function doing one training step
# ---------------------
def keras_step(layer_class):
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, TIME, FEATURES)).astype("float32")
    y = rng.normal(size=(BATCH, 1)).astype("float32")
    model = keras.Sequential(
        [keras.Input((TIME, FEATURES)), layer_class(UNITS), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")

    def step():
        return model.train_on_batch(x, y)

    step.jit_compile = model.jit_compile
    return step


def torch_step(forward_module):
    import torch

    torch.manual_seed(0)
    x = torch.randn(BATCH, TIME, FEATURES)
    y = torch.randn(BATCH, 1)
    head = torch.nn.Linear(UNITS, 1)
    parameters = list(forward_module.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(head(forward_module(x)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_builtin(module_class):
    import torch

    class LastOutput(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = module_class(FEATURES, UNITS, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[0][:, -1]

    return torch_step(LastOutput())


def torch_loop_lstm():
    """The LSTM in plain torch (`torch_minigpt.LoopLSTM`): $W_x x_t + b$ for all steps at once,
    one gate product a step, only the last $h_t$ kept."""
    from torch_minigpt import LoopLSTM

    return torch_step(LoopLSTM(FEATURES, UNITS, return_sequences=False))


def contenders(backend):
    import keras

    import keraseq

    found = {
        "keraseq LSTM": lambda: keras_step(keraseq.layers.LSTM),
        "keras LSTM": lambda: keras_step(keras.layers.LSTM),
        "keraseq GRU": lambda: keras_step(keraseq.layers.GRU),
        "keras GRU": lambda: keras_step(keras.layers.GRU),
    }
    if backend == "torch":
        import torch

        found["torch.nn.LSTM"] = lambda: torch_builtin(torch.nn.LSTM)
        found["torch.nn.GRU"] = lambda: torch_builtin(torch.nn.GRU)
        found["torch loop LSTM (hoisted)"] = torch_loop_lstm
    return {name: make() for name, make in found.items()}


# --- one backend, in this process
# -------------------------------------------------------------------
def measure(backend, args):
    import keras

    threads = threads_report(args.threads)
    steps = contenders(backend)
    times = harness.interleaved_times(steps, args.steps, args.warmup)
    return {
        "backend": backend,
        "keras": keras.__version__,
        "jit_compile": steps["keraseq LSTM"].jit_compile,
        "threads": threads,
        "median_ms": harness.medians(times),
        "min_ms": {name: min(t) for name, t in times.items()},
    }


# --- the table
# -----------------------------------------------------------------------------------------
def markdown(results, args):
    lines = [
        f"One training step (forward, backward, Adam), batch {BATCH}, {TIME} steps, "
        f"{FEATURES} → {UNITS} units + Dense(1), MSE. Median ms/step over {args.steps} interleaved "
        f"rounds after {args.warmup} warm-up rounds. {harness.machine_line(results)}",
        "",
        "| backend | layer | keraseq ms | Keras built-in ms | keraseq / built-in "
        "| torch.nn ms (same run) | keraseq / torch.nn |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        ms = result["median_ms"]
        for layer in ("LSTM", "GRU"):
            ours, builtin = ms[f"keraseq {layer}"], ms[f"keras {layer}"]
            reference = ms.get(f"torch.nn.{layer}")
            lines.append(
                f"| {result['backend']} | {layer} | {ours:.1f} | {builtin:.1f} | "
                f"{ratio(ours, builtin)} | {f'{reference:.1f}' if reference else '–'} | "
                f"{ratio(ours, reference)} |"
            )
    for result in results:
        if "torch loop LSTM (hoisted)" in result["median_ms"]:
            lines += [
                "",
                "Plain PyTorch, same process as the torch backend rows: "
                + ", ".join(
                    f"{name} {value:.1f} ms"
                    for name, value in result["median_ms"].items()
                    if name.startswith("torch")
                )
                + ".",
            ]
    return harness.report(lines, results)


def main(argv=None):
    args = harness.parse_args(__doc__.split("\n\n")[0], "recurrent_train_step", argv)
    harness.main(__file__, args, measure, markdown)


if __name__ == "__main__":
    main()
