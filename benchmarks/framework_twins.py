"""keraseq's MiniGPT training step against the same model written in the framework alone.

On JAX, `jax_minigpt.py` (`jax.numpy`, one `jax.jit` step, parameters donated); on TensorFlow,
`tf_minigpt.py` (`tf` ops, one `tf.function` without XLA, as Keras runs TensorFlow on a CPU-only
machine): the same model, AdamW, recipe (batch 12, context 64, 4 x 128) and batches as
`lm_train_step.py`, whose rounds this script interleaves in one process per backend (keraseq's
round: the last `CHUNK` steps of a `fit` on twice as many batches). The ratio says what Keras and
keraseq cost on top of the framework; `lm_train_step.md` says how keraseq compares with eager
PyTorch. The PyTorch twin is not timed here: in a TensorFlow process that has run the plain
TensorFlow twin, it runs slower for the rest of the process (measured: about 400 against 470 ms
per 10 steps), which would flatter every TensorFlow ratio.

Usage:

    python benchmarks/framework_twins.py                 # jax, tensorflow
    python benchmarks/framework_twins.py --backends jax --steps 5

Writes `benchmarks/results/framework_twins.md` and `.json`.
"""

import importlib

import harness
from lm_train_step import CHUNK, data, keras_contender, stepping_contender, timed_rates

TWINS = {"jax": "jax_minigpt", "tensorflow": "tf_minigpt"}


def framework_contender(backend, config, chunk):
    """One round of `jax_minigpt.py`'s or `tf_minigpt.py`'s step on `chunk` batches."""
    twin = importlib.import_module(TWINS[backend])
    return stepping_contender(config, chunk, twin.start(config, data(config)[0]))


def measure(backend, args):
    from keraseq.training import TrainConfig

    threads = harness.threads_report(args.threads)
    config = TrainConfig(model="transformer").resolved()
    calls = {
        "keraseq": keras_contender(config, CHUNK),
        "framework twin": framework_contender(backend, config, CHUNK),
    }
    rates = timed_rates(calls, config, args)
    return harness.backend_result(backend, threads, tokens_per_second=rates)


def markdown(results, args):
    lines = [
        f"MiniGPT training tokens/s (nanoGPT's CPU recipe: batch 12, context 64), keraseq against "
        f"the same model and AdamW in the framework alone, median of {args.steps} interleaved "
        f"rounds of {CHUNK} steps after {args.warmup} warm-up rounds, one process per backend. "
        f"{harness.machine_line(results)}",
        "",
        "| backend | keraseq | framework twin | keraseq / framework twin | load after |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        r = result["tokens_per_second"]
        twin = f"{r['framework twin']:,.0f} (`{TWINS[result['backend']]}.py`)"
        lines.append(
            f"| {result['backend']} | {r['keraseq']:,.0f} | {twin} | "
            f"{harness.ratio(r['keraseq'], r['framework twin'])} | {r['load_after']} |"
        )
    return harness.report(lines, results)


if __name__ == "__main__":
    parsed = harness.parse_args(
        __doc__.split("\n\n")[0], "framework_twins", steps=15, warmup=1, backends=tuple(TWINS)
    )
    harness.main(__file__, parsed, measure, markdown)
