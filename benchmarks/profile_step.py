"""Where the time of a training step goes: MiniGPT and the LSTM LM, profiled on each backend.

Each backend runs `keraseq train`'s step (`fit` on `WindowBatches`, the recipe's model, AdamW and
loss) under its own profiler: `jax.profiler`, the TensorFlow profiler (both read back from their
XPlane files) and `torch.profiler`. The time of the profiled steps is split into:

* matrix products: the dense projections, the feed-forward network, the head, the recurrent gates;
* attention: the attention core (scores, mask, softmax, weighted values, or the fused kernel),
  marked by a name scope around `MultiHeadAttention.fused_attention` and
  `scaled_dot_product_attention`;
* normalization: the layer norms;
* optimizer: AdamW and the gradient clipping (under the optimizer's own name scope);
* loop bookkeeping: the time loop's slicing, stacking and control (TensorArrays on TensorFlow);
* other compute: activations, gates, embeddings, loss, element-wise glue;
* data feeding: `WindowBatches.__getitem__`;
* between ops: everything else (Python, Keras, op dispatch, the graph executor between kernels).

Backward kernels count in their forward op's category (TensorFlow and JAX keep the name scopes in
the gradient; on torch the autograd node names the op). Kernel time is "self" time (nested kernels
are not counted twice); on TensorFlow and JAX, which run kernels on several threads, each in-graph
category gets its share of the busy thread time, scaled to the time when some thread was busy.
Profilers slow small kernels down, so the shares, not the absolute times, are the result.

Usage:

    python benchmarks/profile_step.py           # jax, tensorflow, torch; transformer and lstm
    python benchmarks/profile_step.py --backends torch --steps 5

Writes `benchmarks/results/profile.md` and `.json`.
"""

import contextlib
import glob
import tempfile
import time

import harness

CATEGORIES = (
    "matrix products",
    "attention",
    "normalization",
    "optimizer",
    "loop bookkeeping",
    "other compute",
    "data feeding",
    "between ops",
)
MODELS = {
    "transformer": {},
    "lstm": {"learning_rate": 3e-3, "min_learning_rate": 3e-4, "weight_decay": 0.0},
}
MATMUL_OPS = ("MatMul", "BatchMatMul", "Einsum", "dot", "mm", "addmm", "bmm", "matmul", "linear")
LOOP_OPS = (
    "TensorArray",
    "TensorList",
    "Enter",
    "Exit",
    "Merge",
    "Switch",
    "NextIteration",
    "LoopCond",
    "While",
    "while",
    "dynamic-slice",
    "dynamic-update-slice",
    "select",
    "stack",
    "unbind",
)


def base_op(op):
    """The op type without oneDNN's and grappler's prefixes (`_MklNativeFusedMatMul` -> `MatMul`),
    which TensorFlow's kernels carry when oneDNN is on (its default on x86)."""
    op = op.lstrip("_")
    for prefix in ("MklNative", "Mkl", "Fused"):
        op = op.removeprefix(prefix)
    return op


def categorize(scope, op):
    """The category of a kernel from its name scope (lower case) and its op type."""
    op = base_op(op)
    if "optimizer" in scope or "adam" in scope or "foreach" in op:
        return "optimizer"
    if "attention_core" in scope or "attention" in op.lower():
        return "attention"
    if "norm" in scope or "layer_norm" in op:
        return "normalization"
    if any(op.startswith(m) for m in MATMUL_OPS):
        return "matrix products"
    if any(op.startswith(m) for m in LOOP_OPS):
        return "loop bookkeeping"
    return "other compute"


# --- the model, its data and the scopes that mark attention and the optimizer ---------------------
def setup(model_kind, steps):
    import keras

    import keraseq
    from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split
    from keraseq.training.config import LOSS, TrainConfig, build_model, build_optimizer

    config = TrainConfig(model=model_kind, **MODELS[model_kind]).resolved()
    text = load_corpus("python-docs")
    tokenizer = CharTokenizer.from_text(text)
    ids, _ = train_validation_split(tokenizer.tokenize(text))
    keras.utils.set_random_seed(0)
    model = build_model(config, tokenizer.vocabulary_size())
    model.compile(optimizer=build_optimizer(config, model), loss=LOSS)
    fed = {"seconds": 0.0}

    class TimedBatches(WindowBatches):
        def __getitem__(self, index):
            start = time.perf_counter()
            batch = super().__getitem__(index)
            fed["seconds"] += time.perf_counter() - start
            return batch

    def run(n):
        fed["seconds"] = 0.0
        batches = TimedBatches(ids, config.batch_size, config.sequence_length, n)
        start = time.perf_counter()
        model.fit(batches, epochs=1, shuffle=False, verbose=0)
        return time.perf_counter() - start, fed["seconds"]

    mha = keraseq.layers.MultiHeadAttention
    _scoped(mha, "fused_attention", "attention_core")
    _scoped(keraseq.layers.attention.multi_head, "scaled_dot_product_attention", "attention_core")
    _scoped(type(model.optimizer), "apply", "optimizer")
    run(3)  # compiles
    return run


def _scoped(owner, name, scope):
    """Wraps `owner.name` in a Keras name scope (and a torch profiler range) called `scope`."""
    import keras

    original = getattr(owner, name)

    def wrapped(*args, **kwargs):
        with keras.name_scope(scope), _torch_range(scope):
            return original(*args, **kwargs)

    setattr(owner, name, wrapped)


def _torch_range(name):
    import keras

    if keras.backend.backend() != "torch":
        return contextlib.nullcontext()
    import torch

    return torch.profiler.record_function(name)


# --- torch: torch.profiler's events ---------------------------------------------------------------
def torch_shares(run, steps):
    import torch

    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        wall, data = run(steps)
    kernels = dict.fromkeys(CATEGORIES, 0.0)
    for event in prof.events():
        if not event.name.startswith("aten::"):
            continue
        scope, parent = "", event.cpu_parent
        while parent is not None:
            if not parent.name.startswith("aten::"):
                scope += "/" + parent.name.lower()
            parent = parent.cpu_parent
        if "backward" in scope:  # the autograd node names the forward op
            node = scope.split("backward")[0].rsplit("/", 1)[-1].rsplit(": ", 1)[-1]
            op = node if not node.startswith(("view", "unsafe", "t", "transpose")) else event.name
            category = categorize(scope, _torch_op(op))
        else:
            category = categorize(scope, _torch_op(event.name))
        kernels[category] += event.self_cpu_time_total / 1e6
    return _shares(kernels, wall, data, graph_seconds=sum(kernels.values()))


def _torch_op(name):
    name = name.removeprefix("aten::").removeprefix("_")
    for prefix in ("scaled_dot_product", "native_layer_norm", "layer_norm"):
        if name.startswith(prefix):
            return "attention" if prefix.startswith("scaled") else "layer_norm"
    return name


# --- TensorFlow and JAX: the XPlane file ----------------------------------------------------------
def xplane_shares(run, steps, backend):
    directory = tempfile.mkdtemp(prefix=f"keraseq-profile-{backend}-")
    if backend == "jax":
        import jax

        options = jax.profiler.ProfileOptions()
        options.python_tracer_level = 0
        with jax.profiler.trace(directory, profiler_options=options):
            wall, data = run(steps)
    else:
        import tensorflow as tf

        tf.profiler.experimental.start(directory)
        wall, data = run(steps)
        tf.profiler.experimental.stop()
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    path = glob.glob(f"{directory}/**/*.xplane.pb", recursive=True)[0]
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    plane = next(p for p in space.planes if p.name == "/host:CPU")
    names = _hlo_names(space) if backend == "jax" else None
    kernels = dict.fromkeys(CATEGORIES, 0.0)
    busy, intervals = 0.0, []
    for line in plane.lines:
        if line.name == "python":
            continue
        events = sorted(line.events, key=lambda e: (e.offset_ps, -e.duration_ps))
        open_spans = []  # the enclosing events: (end, is_kernel, category, [child kernel time])
        for event in events:
            start, end = event.offset_ps, event.offset_ps + event.duration_ps
            while open_spans and open_spans[-1][0] <= start:
                _close(open_spans.pop(), kernels)
            name = plane.event_metadata[event.metadata_id].name
            kind = _tf_kind(name) if names is None else names.get(name)
            if not open_spans and name.startswith(("ExecutorState::Process", "ThunkExecutor::")):
                if "wait" not in name:
                    busy += event.duration_ps / 1e12
                    stamp = line.timestamp_ns * 1000
                    intervals.append((stamp + start, stamp + end))
            if kind is None:
                continue
            parent = next((s for s in reversed(open_spans) if s[1]), None)
            if parent is not None:
                parent[3][0] += event.duration_ps
            open_spans.append((end, True, categorize(*kind), [0], event.duration_ps))
        while open_spans:
            _close(open_spans.pop(), kernels)
    graph_seconds = _union(intervals) / 1e12
    in_kernels = sum(kernels.values())
    scale = graph_seconds / busy if busy else 0.0
    kernels = {k: v * scale for k, v in kernels.items()}
    return _shares(
        kernels, wall, data, graph_seconds=graph_seconds, kernel_total=in_kernels * scale
    )


def _close(span, kernels):
    _, is_kernel, category, children, duration = span
    if is_kernel:
        kernels[category] += max(0, duration - children[0]) / 1e12


def _union(intervals):
    total, end = 0, None
    for a, b in sorted(intervals):
        if end is None or a > end:
            total, end = total + b - a, b
        elif b > end:
            total, end = total + b - end, b
    return total


def _tf_kind(name):
    """A TensorFlow kernel event is `scope/...:OpType`; anything else is the runtime's (its
    executor, and the thread pool's `ThreadpoolListener::StartRegion` markers)."""
    runtime = ("executorstate", "thunkexecutor", "threadpoollistener")
    if ":" not in name or name.lower().startswith(runtime):
        return None
    scope, op = name.rsplit(":", 1)
    return scope.lower(), op


def _hlo_names(space):
    """JAX: HLO instruction name to (name scope, op) from the compiled train step's HLO."""
    from tensorflow.compiler.xla.service import hlo_pb2

    names = {}
    for plane in space.planes:
        for metadata in plane.event_metadata.values():
            if "train" not in metadata.name:
                continue
            for stat in metadata.stats:
                if not stat.bytes_value:
                    continue
                proto = hlo_pb2.HloProto()
                proto.ParseFromString(stat.bytes_value)
                computations = {c.id: c for c in proto.hlo_module.computations}
                for computation in proto.hlo_module.computations:
                    for instruction in computation.instructions:
                        inner = [
                            i
                            for cid in instruction.called_computation_ids
                            for i in computations[cid].instructions
                        ]
                        opcodes = {i.opcode for i in inner} | {instruction.opcode}
                        op = "dot" if opcodes & {"dot", "custom-call", "convolution"} else ""
                        op = op or instruction.opcode
                        scope = instruction.metadata.op_name or " ".join(
                            i.metadata.op_name for i in inner
                        )
                        names[instruction.name] = (scope.lower(), op)
    return names


def _shares(kernels, wall, data, graph_seconds, kernel_total=None):
    kernel_total = sum(kernels.values()) if kernel_total is None else kernel_total
    seconds = {**kernels, "data feeding": data}
    seconds["between ops"] = max(0.0, wall - data - kernel_total)
    return {
        "wall_s": wall,
        "in_graph_s": graph_seconds,
        "share": {k: seconds[k] / wall for k in CATEGORIES},
    }


# --- one backend, in this process -----------------------------------------------------------------
def measure(backend, args):

    threads = harness.threads_report(args.threads)
    results = {}
    for model_kind in MODELS:
        run = setup(model_kind, args.steps)
        if backend == "torch":
            results[model_kind] = torch_shares(run, args.steps)
        else:
            results[model_kind] = xplane_shares(run, args.steps, backend)
        results[model_kind]["load_after"] = harness.load_average()
    return harness.backend_result(backend, threads, profiles=results)


def markdown(results, args):
    lines = [
        f"Share of one `keraseq train` step (`fit`, nanoGPT's CPU recipe: batch 12, context 64) "
        f"per category, under each backend's profiler, {args.steps} profiled steps after 3 "
        f"compiling ones. {harness.machine_line(results)} The machine was "
        "shared (load below): the profiler's ms/step are slower than the benchmarks', the shares "
        "are what to read.",
        "",
        "| model | backend | ms/step (profiled) | " + " | ".join(CATEGORIES) + " |",
        "| --- | --- | ---: | " + " | ".join("---:" for _ in CATEGORIES) + " |",
    ]
    for model_kind in MODELS:
        for result in results:
            profile = result["profiles"][model_kind]
            cells = " | ".join(f"{100 * profile['share'][c]:.0f}%" for c in CATEGORIES)
            ms = 1000 * profile["wall_s"] / args.steps
            lines.append(f"| {model_kind} | {result['backend']} | {ms:.0f} | {cells} |")
    return harness.report(lines, results)


if __name__ == "__main__":
    harness.main(
        __file__,
        harness.parse_args(__doc__.split("\n\n")[0], "profile", steps=10, warmup=3),
        measure,
        markdown,
    )
