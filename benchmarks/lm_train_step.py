"""Training tokens/s of MiniGPT and the LSTM LM against their plain-PyTorch twins, interleaved.

The models and recipes are `keraseq train`'s (nanoGPT's CPU recipe: batch 12, context 64; MiniGPT
4 x 128, the LSTM LM 2 x 256 with its own learning rate) and the twins are `torch_minigpt.py`'s
(`torch.nn.LSTM` for the LSTM), fed the same `WindowBatches`. One round times `CHUNK` training
steps of each contender: Keras's `fit` (with `keraseq train`'s `steps_per_execution`) on twice
that many batches, timing the last `CHUNK` steps, since `keraseq train` calls `fit` once per run
and a call's setup is not a step's cost; against the same number of eager PyTorch steps; for
MiniGPT, also `fit` with one step per execution (Keras's default, `keraseq train` before issue
13); for the LSTM LM, also the same model with Keras's built-in `keras.layers.LSTM` (each
backend's own recurrent loop: what Keras itself reaches on this machine). Rounds are interleaved
in a shuffled order so that a busy machine slows every contender alike; tokens/s come from the
median round.

Each backend runs in its own process; the twins run in every backend's process, so every ratio
is measured in one process.

Usage:

    python benchmarks/lm_train_step.py                       # jax, tensorflow, torch
    python benchmarks/lm_train_step.py --backends torch --steps 5
    python benchmarks/lm_train_step.py --threads 1 --out benchmarks/results/lm_train_step_1thread

Writes `benchmarks/results/lm_train_step.md` and `.json`.
"""

import time

import harness

MODELS = {
    "transformer": {},
    "lstm": {"learning_rate": 3e-3, "min_learning_rate": 3e-4, "weight_decay": 0.0},
}
CHUNK = 10


def data(config):
    from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split

    text = load_corpus("python-docs")
    tokenizer = CharTokenizer.from_text(text)
    ids, _ = train_validation_split(tokenizer.tokenize(text))
    return tokenizer.vocabulary_size(), ids, WindowBatches


def keras_contender(config, chunk, per_call=None, build=None):
    """One round: `fit` on `2 * chunk` batches, `per_call` steps per execution (default: as
    `keraseq train` runs it, capped at `chunk`), timing its last `chunk` steps (returns ms).
    `build(config, vocabulary)` makes the model (default: `keraseq train`'s).

    `keraseq train` calls `fit` once for the whole run; each `fit` call costs setup (on
    TensorFlow, a new `tf.data` pipeline over the batches) that a run pays once, so a round times
    the steps after the first `chunk`, from the end of one execution to the end of the last.
    """
    import keras

    from keraseq.training.config import LOSS, build_model, build_optimizer
    from keraseq.training.loop import steps_per_execution

    if per_call is None:
        per_call = min(steps_per_execution(config), chunk)

    vocabulary, ids, batches = data(config)
    keras.utils.set_random_seed(0)
    model = (build or build_model)(config, vocabulary)
    model.compile(
        optimizer=build_optimizer(config, model),
        loss=LOSS,
        steps_per_execution=per_call,
    )
    rounds, ends = {"done": 0}, []  # when each execution of the train function ended
    clock = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter())
    )

    def run():
        start = rounds["done"] * 2 * chunk
        rounds["done"] += 1
        window = batches(ids, config.batch_size, config.sequence_length, 2 * chunk, start=start)
        ends.clear()
        model.fit(window, epochs=1, shuffle=False, verbose=0, callbacks=[clock])
        return 1000 * (ends[-1] - ends[len(ends) // 2 - 1])  # ms of the last `chunk` steps

    return run


def builtin_lstm_lm(config, vocabulary):
    """The LSTM LM with Keras's built-in `keras.layers.LSTM` in place of keraseq's: the same
    embedding, stack and head (`RecurrentLM`), each backend's own recurrent loop."""
    import keras

    return keras.Sequential(
        [
            keras.Input((config.sequence_length,), dtype="int32"),
            keras.layers.Embedding(vocabulary, config.hidden_dim),
            *(
                keras.layers.LSTM(config.hidden_dim, return_sequences=True)
                for _ in range(config.num_layers)
            ),
            keras.layers.Dense(vocabulary),
        ]
    )


def stepping_contender(config, chunk, step):
    """One round: `step(x, y) -> loss` on `chunk` batches, waiting for the last loss."""
    _, ids, batches = data(config)
    rounds = {"done": 0}

    def run():
        start = rounds["done"] * chunk
        rounds["done"] += 1
        for x, y in batches(ids, config.batch_size, config.sequence_length, chunk, start=start):
            loss = step(x, y)
        float(loss)  # the backends run asynchronously: waits for the last step

    return run


def twin_contender(config, chunk, loop=False):
    import torch
    from torch_minigpt import train_step, twin

    vocabulary = data(config)[0]
    torch.manual_seed(0)
    model, optimizer = twin(config, vocabulary, loop=loop)
    return stepping_contender(  # detached: a scalar from a tensor needing a gradient warns
        config,
        chunk,
        lambda x, y: train_step(model, optimizer, (x, y), config.global_clipnorm).detach(),
    )


def timed_rates(calls, config, args):
    """Tokens/s of each contender, one round being `CHUNK` steps of `config`'s batches."""
    times = harness.interleaved_times(calls, args.steps, args.warmup)
    return harness.rates(times, CHUNK * config.batch_size * config.sequence_length)


def measure(backend, args):

    from keraseq.training import TrainConfig

    threads = harness.threads_report(args.threads)
    results = {}
    for name, settings in MODELS.items():
        config = TrainConfig(model=name, **settings).resolved()
        calls = {
            "keraseq": keras_contender(config, CHUNK),
            "torch twin": twin_contender(config, CHUNK),
        }
        if name == "transformer":
            calls["keraseq, 1 step per execution"] = keras_contender(config, CHUNK, 1)
        elif name == "lstm":
            calls["Keras built-in LSTM"] = keras_contender(config, CHUNK, build=builtin_lstm_lm)
        results[name] = timed_rates(calls, config, args)
    return harness.backend_result(backend, threads, tokens_per_second=results)


def markdown(results, args):
    lines = [
        f"Training tokens/s (nanoGPT's CPU recipe: batch 12, context 64), median of {args.steps} "
        f"interleaved rounds of {CHUNK} steps after {args.warmup} warm-up rounds; the twins "
        f"in the same process. {harness.machine_line(results)}",
        "",
        "| backend | model | keraseq tokens/s | PyTorch twin tokens/s | keraseq / twin | "
        "1 step per execution / keraseq train's | Keras built-in LSTM / twin | load after |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in MODELS:
        for result in results:
            r = result["tokens_per_second"][name]
            single = harness.ratio(r.get("keraseq, 1 step per execution"), r["keraseq"])
            builtin = harness.ratio(r.get("Keras built-in LSTM"), r["torch twin"])
            lines.append(
                f"| {result['backend']} | {name} | {r['keraseq']:,.0f} | {r['torch twin']:,.0f} | "
                f"{harness.ratio(r['keraseq'], r['torch twin'])} | {single} | {builtin} | "
                f"{r['load_after']} |"
            )
    return harness.report(lines, results)


if __name__ == "__main__":
    parsed = harness.parse_args(__doc__.split("\n\n")[0], "lm_train_step", steps=7, warmup=1)
    harness.main(__file__, parsed, measure, markdown)
