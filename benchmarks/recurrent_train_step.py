"""Time one training step of keraseq's LSTM and GRU against the Keras built-ins and plain PyTorch.

One step = forward, backward and Adam update of a model `recurrent layer (16 -> 128) + Dense(1)`
with a mean squared error, on a batch of 64 sequences of 100 steps. The Keras models (keraseq and
built-in, identical apart from the recurrent layer) are compiled the same way, with Keras's default
`jit_compile="auto"` (on CPU: XLA on JAX, a `tf.function` graph without XLA on TensorFlow, eager on
torch; the table records what it resolved to), and stepped with `train_on_batch`. The PyTorch references (torch backend run only, in the same process) are
`torch.nn.LSTM`/`torch.nn.GRU` + `torch.nn.Linear`, and the LSTM equations written as a plain torch
loop with the input projection hoisted out of the loop and one fused gate matrix product.

The contenders are timed in interleaved rounds (one step of each per round) so that a noisy machine
slows them alike; the table reports the median over the rounds, after warm-up steps.

Usage:

    python benchmarks/recurrent_train_step.py                      # jax, tensorflow, torch
    python benchmarks/recurrent_train_step.py --backends torch --steps 20

Each backend runs in its own process (Keras picks its backend at import). The combined table is
printed and written to `benchmarks/results/recurrent_train_step.md` and `.json`.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BATCH, TIME, FEATURES, UNITS = 64, 100, 16, 128
BACKENDS = ("jax", "tensorflow", "torch")
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--steps", type=int, default=15, help="timed rounds (median is reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (compilation)")
    parser.add_argument(
        "--threads", type=int, default=None, help="intra-op threads for torch/TF (default: theirs)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "recurrent_train_step")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- contenders: each returns a zero-argument function doing one training step ---------------------
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


def torch_hoisted_lstm():
    """The LSTM equations in plain torch: x W_x + b for all steps at once, one gate matmul a step."""
    import torch

    class HoistedLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.kernel = torch.nn.Parameter(torch.randn(FEATURES, 4 * UNITS) * 0.1)
            self.recurrent_kernel = torch.nn.Parameter(torch.randn(UNITS, 4 * UNITS) * 0.1)
            self.bias = torch.nn.Parameter(torch.zeros(4 * UNITS))

        def forward(self, x):
            xw = (x @ self.kernel + self.bias).transpose(0, 1)  # (T, B, 4H)
            h = c = torch.zeros(x.shape[0], UNITS)
            for xw_t in xw:
                i, f, g, o = (xw_t + h @ self.recurrent_kernel).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            return h

    return torch_step(HoistedLSTM())


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
        found["torch loop LSTM (hoisted)"] = torch_hoisted_lstm
    return {name: make() for name, make in found.items()}


# --- one backend, in this process -------------------------------------------------------------------
def threads_report(threads):
    """Sets (if asked) and reports the thread settings of the libraries this process loaded."""
    report = {"cpu_count": os.cpu_count()}
    if "torch" in sys.modules:  # loaded by the torch backend (and so measured in this process)
        import torch

        if threads:
            torch.set_num_threads(threads)
        report["torch_num_threads"] = torch.get_num_threads()
        report["torch_num_interop_threads"] = torch.get_num_interop_threads()
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        if threads:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        report["tf_intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()
        report["tf_inter_op_threads"] = tf.config.threading.get_inter_op_parallelism_threads()
    report["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "")
    report["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "")
    return report


def measure(backend, args):
    import keras

    threads = threads_report(args.threads)
    steps = contenders(backend)
    for _ in range(args.warmup):
        for step in steps.values():
            step()
    times = {name: [] for name in steps}
    for _ in range(args.steps):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(1000 * (time.perf_counter() - start))
    return {
        "backend": backend,
        "keras": keras.__version__,
        "jit_compile": steps["keraseq LSTM"].jit_compile,
        "threads": threads,
        "median_ms": {name: statistics.median(t) for name, t in times.items()},
        "min_ms": {name: min(t) for name, t in times.items()},
    }


# --- all backends: one child process each, then the table --------------------------------------------
def run_child(backend, args):
    command = [sys.executable, __file__, "--child", "--backends", backend]
    command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
        if args.threads == 1:  # XLA's CPU runtime has no thread-count flag, only on/off
            env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{backend} run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "–"


def markdown(results, args):
    lines = [
        f"One training step (forward, backward, Adam), batch {BATCH}, {TIME} steps, "
        f"{FEATURES} → {UNITS} units + Dense(1), MSE. Median ms/step over {args.steps} interleaved "
        f"rounds after {args.warmup} warm-up rounds. {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC.",
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
    lines += ["", "Threads per backend process:", ""]
    for result in results:
        settings = ", ".join(f"{k}={v}" for k, v in result["threads"].items() if v != "")
        lines.append(
            f"- {result['backend']} (keras {result['keras']}, jit_compile={result['jit_compile']}): "
            f"{settings}"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.backends[0], args)))
        return
    results = []
    for backend in args.backends:
        print(f"timing on {backend} ...", file=sys.stderr, flush=True)
        results.append(run_child(backend, args))
    table = markdown(results, args)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
