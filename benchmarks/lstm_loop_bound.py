"""What bounds a loop over time on eager torch: the LSTM LM against plain-PyTorch loops.

`lm_train_step.py` compares keraseq's LSTM language model with a twin that calls `torch.nn.LSTM`,
whose oneDNN kernel runs all time steps (and, in the backward pass, their weight gradients) as a
few large operations. keraseq's LSTM is a loop over time: one step of the equations per position.
This benchmark measures how fast such a loop can be in eager PyTorch, without Keras: the same LM
with `torch_minigpt.LoopLSTM` layers (the equations written in plain PyTorch, the input projection
hoisted out of the loop, `torch.unbind` handing out the steps). Same recipe and batches as
`lm_train_step.py` (batch 12, context 64, 2 x 256, AdamW with clipping), rounds of `CHUNK` steps of
each contender interleaved in one process (keraseq's, as there, the last `CHUNK` steps of a `fit`
on twice as many batches); tokens/s from the median round.

It runs on the torch backend by default: the loop twin is eager PyTorch, so what it bounds is
keraseq on the torch backend (`--backends jax tensorflow torch` runs the others too).

Usage:

    python benchmarks/lstm_loop_bound.py                 # torch
    python benchmarks/lstm_loop_bound.py --steps 20

Writes `benchmarks/results/lstm_loop_bound.md` and `.json`.
"""

import harness
from lm_train_step import CHUNK, MODELS, keras_contender, timed_rates, twin_contender


def measure(backend, args):
    from keraseq.training import TrainConfig

    threads = harness.threads_report(args.threads)
    config = TrainConfig(model="lstm", **MODELS["lstm"]).resolved()
    calls = {
        "keraseq": keras_contender(config, CHUNK),
        "torch.nn.LSTM twin": twin_contender(config, CHUNK),
        "loop twin": twin_contender(config, CHUNK, loop=True),
    }
    rates = timed_rates(calls, config, args)
    return harness.backend_result(backend, threads, tokens_per_second=rates)


def markdown(results, args):
    lines = [
        f"LSTM LM (2 x 256) training tokens/s (batch 12, context 64), median of {args.steps} "
        f"interleaved rounds of {CHUNK} steps after {args.warmup} warm-up rounds, one process. "
        f"{harness.machine_line(results)}",
        "",
        "| backend | keraseq | torch.nn.LSTM twin | plain-PyTorch loop twin | keraseq / twin | "
        "loop twin / twin | keraseq / loop twin | load after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        r = result["tokens_per_second"]
        keraseq, fused, loop = r["keraseq"], r["torch.nn.LSTM twin"], r["loop twin"]
        lines.append(
            f"| {result['backend']} | {keraseq:,.0f} | {fused:,.0f} | {loop:,.0f} | "
            f"{harness.ratio(keraseq, fused)} | {harness.ratio(loop, fused)} | "
            f"{harness.ratio(keraseq, loop)} | {r['load_after']} |"
        )
    return harness.report(lines, results)


if __name__ == "__main__":
    parsed = harness.parse_args(
        __doc__.split("\n\n")[0], "lstm_loop_bound", steps=15, warmup=1, backends=["torch"]
    )
    harness.main(__file__, parsed, measure, markdown)
