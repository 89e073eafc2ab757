"""What the benchmark scripts share: one process per backend, thread report, interleaved timing.

A script defines `measure(backend, args) -> dict` (run in a child process with `KERAS_BACKEND` set)
and `markdown(results, args) -> str`, and calls `main(__file__, parse_args(...), measure,
markdown)`.
"""

import argparse
import datetime
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

BACKENDS = ("jax", "tensorflow", "torch")
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(description, name, argv=None, steps=15, warmup=3, backends=BACKENDS):
    """The common options; results go to `benchmarks/results/<name>.md` and `.json` by default."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backends", nargs="+", default=list(backends), choices=BACKENDS)
    parser.add_argument(
        "--steps", type=int, default=steps, help="timed rounds (median is reported)"
    )
    parser.add_argument(
        "--warmup", type=int, default=warmup, help="untimed rounds first (compilation)"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="intra-op threads for torch/TF (default: theirs)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / name)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def threads_report(threads):
    """Sets the intra-op threads of torch/TF if asked (a benchmark's choice, never keraseq's), then
    reports the thread settings in force (`keraseq.machine`) and the load."""
    from keraseq import machine  # in the child only: the parent never loads Keras or a backend

    if threads and "torch" in sys.modules:  # loaded by the torch backend (measured in this process)
        sys.modules["torch"].set_num_threads(threads)
    if threads and "tensorflow" in sys.modules:
        sys.modules["tensorflow"].config.threading.set_intra_op_parallelism_threads(threads)
    return {**machine.thread_settings(), "load_average_1min": load_average()}


def load_average():
    """The machine's 1-minute load average, to two decimals."""
    return round(os.getloadavg()[0], 2)


def machine_line(results):
    """Where and when a table was measured: `x86_64, 2 CPUs, 2026-11-28 07:50 UTC.`

    The processor and CPU count are those `keraseq.machine` reported in the first child (`main`
    adds the processor to each child's result; `threads_report` the CPU count).
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    first = results[0]
    gpu = f", GPU {first['gpu']}" if first.get("gpu") else ""
    where = f"{first['processor']}, {first['threads']['cpu_count']} CPUs{gpu}"
    return f"{where}, {now:%Y-%m-%d %H:%M} UTC."


def backend_result(backend, threads, **measured):
    """A child's JSON result: its backend, Keras version and thread report, then `measured`."""
    import keras

    return {
        "backend": backend,
        "keras": keras.__version__,
        "jit_compile": "auto",
        "threads": threads,
        **measured,
    }


def interleaved_times(calls, rounds, warmup):
    """ms per call of each zero-argument function, timed in rounds of one call each.

    The order is shuffled every round, so that a noisy machine slows every contender alike and no
    contender always runs right after the same one. A function that returns a number has timed
    itself: that many ms count instead of the whole call (the steady state inside a longer call).
    """
    for _ in range(warmup):
        for call in calls.values():
            call()
    times = {name: [] for name in calls}
    order, shuffler = list(calls), random.Random(0)
    for _ in range(rounds):
        shuffler.shuffle(order)
        for name in order:
            start = time.perf_counter()
            own = calls[name]()
            times[name].append(own if own is not None else 1000 * (time.perf_counter() - start))
    return times


def medians(times):
    return {name: statistics.median(t) for name, t in times.items()}


def rates(times, amount):
    """`amount` (tokens, say) per second at each contender's median time, and `load_after`."""
    per_second = {name: amount / (ms / 1000) for name, ms in medians(times).items()}
    return {**per_second, "load_after": load_average()}


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "–"


def same_device_as_keras():
    """Puts the plain-PyTorch twins where Keras's torch backend puts its tensors: on the GPU when
    torch sees one (a device run), else on the CPU. Returns the GPU's name, or None."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    torch.set_default_device("cuda")
    return torch.cuda.get_device_name(0)


def run_child(script, backend, args):
    """Runs `script --child` for one backend in its own process and returns its JSON result."""
    command = [sys.executable, script, "--child", "--backends", backend]
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


def threads_lines(results):
    """The Markdown list of each backend process's threads, load and `jit_compile`."""
    lines = ["", "Threads and load (1-minute load average when the process started):", ""]
    for result in results:
        settings = ", ".join(f"{k}={v}" for k, v in result["threads"].items() if v != "")
        lines.append(
            f"- {result['backend']} (keras {result['keras']}, "
            f"jit_compile={result['jit_compile']}): "
            f"{settings}"
        )
    return lines


def report(lines, results):
    """A benchmark's Markdown: its `lines`, then each backend process's threads and load."""
    return "\n".join([*lines, *threads_lines(results)]) + "\n"


def main(script, args, measure, markdown):
    """In a child: measure one backend, print JSON. Else: one child per backend, then the table."""
    if args.child:
        from keraseq import machine  # in the child only: the parent never loads Keras or a backend

        gpu = same_device_as_keras()
        result = {**measure(args.backends[0], args), "processor": machine.processor()}
        print(json.dumps({**result, "gpu": gpu} if gpu else result))
        return
    results = []
    for backend in args.backends:
        print(f"timing on {backend} ...", file=sys.stderr, flush=True)
        results.append(run_child(script, backend, args))
    table = markdown(results, args)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
