"""`keraseq generate` tokens/s for the 0.8M MiniGPT against nanoGPT's own `generate`.

The model is `keraseq train`'s MiniGPT (4 layers, 4 heads, width 128, context 64, 65 characters);
the reference is its PyTorch twin (`torch_minigpt.py`, the same size) sampled by nanoGPT's
`generate`, copied below: under `torch.no_grad()`, it runs the model on the whole window (the last
64 tokens) for every new token. keraseq decodes with the KV cache while the text fits the context
and reads the last 64 tokens afresh once it does not (`MiniGPT.generate_step`). Both sample with
temperature 0.8 and top-k 20 from the prompt "ROMEO:" (weights untrained: the speed does not depend
on them). Also timed: keraseq's decoding step run eagerly, as before issue 13 (it now runs in
Keras's compiled predict step, `keraseq.models.compiled`).

Contenders are timed in interleaved rounds; tokens/s come from the median round. Each backend runs
in its own process, the nanoGPT reference in each of them.

Usage:

    python benchmarks/generate_speed.py                    # jax, tensorflow, torch
    python benchmarks/generate_speed.py --backends torch --steps 3

Writes `benchmarks/results/generate.md` and `.json`.
"""

import harness

PROMPT, VOCABULARY = "ROMEO:", 65
LENGTHS = (50, 200)  # new tokens: inside the context of 64, and well past it


def nanogpt_generate(model, idx, max_new_tokens, block_size, temperature=1.0, top_k=None):
    """nanoGPT's `GPT.generate` (model.py), for a model that returns the logits only."""
    import torch
    from torch.nn import functional as F

    with torch.no_grad():
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= block_size else idx[:, -block_size:]
            logits = model(idx_cond)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("Inf")
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
    return idx


def contenders(length):
    import torch
    from torch_minigpt import twin

    import keraseq
    from keraseq.data import CharTokenizer
    from keraseq.models import minigpt
    from keraseq.training import TrainConfig
    from keraseq.training.config import build_model

    config = TrainConfig().resolved()
    tokenizer = CharTokenizer.from_text("".join(chr(32 + i) for i in range(VOCABULARY)))
    model = build_model(config, VOCABULARY)
    reference, _ = twin(config, VOCABULARY)
    reference.eval()
    prompt_ids = torch.as_tensor(tokenizer.tokenize(PROMPT)[None, :], dtype=torch.long)

    def keraseq_generate():
        keraseq.generate(model, tokenizer, PROMPT, length, temperature=0.8, top_k=20, seed=0)

    def eager_step():  # the decoding step as before issue 13: keras ops dispatched one by one
        compiled = minigpt.compiled_call
        minigpt.compiled_call = lambda m, method, *inputs: getattr(m, method)(*inputs)
        try:
            keraseq_generate()
        finally:
            minigpt.compiled_call = compiled

    return {
        "keraseq generate": keraseq_generate,
        "keraseq, eager step": eager_step,
        "nanoGPT generate": lambda: nanogpt_generate(
            reference, prompt_ids, length, config.sequence_length, 0.8, 20
        ),
    }


def measure(backend, args):

    threads = harness.threads_report(args.threads)
    tokens_per_second = {}
    for length in LENGTHS:
        times = harness.interleaved_times(contenders(length), args.steps, args.warmup)
        tokens_per_second[length] = harness.rates(times, length)
    return harness.backend_result(backend, threads, tokens_per_second=tokens_per_second)


def markdown(results, args):
    lines = [
        f"Generation tokens/s, MiniGPT 0.8M (4 x 128, context 64), one sequence, prompt "
        f"{PROMPT!r}, temperature 0.8, top-k 20; median of {args.steps} interleaved rounds after "
        f"{args.warmup} warm-up rounds. {harness.machine_line(results)}",
        "",
        "| backend | new tokens | keraseq generate | eager step (before) | nanoGPT generate | "
        "keraseq / nanoGPT | keraseq / eager step | load after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        for length, r in result["tokens_per_second"].items():
            ours, eager, nano = (
                r["keraseq generate"],
                r["keraseq, eager step"],
                r["nanoGPT generate"],
            )
            lines.append(
                f"| {result['backend']} | {length} | {ours:,.0f} | {eager:,.0f} | {nano:,.0f} | "
                f"{harness.ratio(ours, nano)} | {harness.ratio(ours, eager)} | {r['load_after']} |"
            )
    return harness.report(lines, results)


if __name__ == "__main__":
    parsed = harness.parse_args(__doc__.split("\n\n")[0], "generate", steps=5, warmup=1)
    harness.main(__file__, parsed, measure, markdown)
