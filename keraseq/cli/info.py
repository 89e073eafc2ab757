"""`keraseq info`: the backend, the versions, the devices and the thread settings."""

import importlib.metadata
import os
import sys

import keras

FRAMEWORKS = ["keras", "numpy", "jax", "jaxlib", "tensorflow", "torch", "keras-hub"]


def add_parser(sub):
    parser = sub.add_parser("info", help="show the backend, versions, devices and thread settings")
    parser.set_defaults(run=run)


def environment():
    """A dict describing what keraseq runs on (used by `keraseq info` and the benchmarks)."""
    import keraseq

    versions = {}
    for name in FRAMEWORKS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    backend = keras.backend.backend()
    return {
        "keraseq": keraseq.__version__,
        "location": os.path.dirname(keraseq.__file__),  # which install runs: a venv's or a clone's
        "python": sys.version.split()[0],
        "backend": backend,
        "versions": versions,
        "devices": devices(backend),
        "threads": thread_settings(backend),
    }


def devices(backend):
    """The devices the backend computes on, e.g. `['cpu:0']`."""
    if backend == "torch":  # Keras has no distribution library for torch: ask torch, already loaded
        torch = sys.modules["torch"]
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())] + ["cpu:0"]
    return keras.distribution.list_devices()


def thread_settings(backend):
    """Intra-op thread settings: what limits speed on a CPU, and what benchmarks must report."""
    settings = {"cpu_count": os.cpu_count()}
    for var in ("OMP_NUM_THREADS", "XLA_FLAGS", "TF_NUM_INTRAOP_THREADS"):
        if os.environ.get(var):
            settings[var] = os.environ[var]
    # The backend module is already loaded by Keras; ask it, without importing anything new.
    if backend == "torch":
        torch = sys.modules["torch"]
        settings["torch_intra_op_threads"] = torch.get_num_threads()
        settings["torch_inter_op_threads"] = torch.get_num_interop_threads()
    elif backend == "tensorflow":
        threading = sys.modules["tensorflow"].config.threading
        settings["tf_intra_op_threads"] = threading.get_intra_op_parallelism_threads() or "auto"
        settings["tf_inter_op_threads"] = threading.get_inter_op_parallelism_threads() or "auto"
    return settings


def run(args):
    env = environment()
    print(f"keraseq {env['keraseq']} (Python {env['python']}) from {env['location']}")
    print(f"backend:  {env['backend']}  (choose with KERAS_BACKEND=jax|tensorflow|torch)")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
    print("devices:  " + ", ".join(env["devices"]))
    print("threads:  " + ", ".join(f"{k}={v}" for k, v in env["threads"].items()))
