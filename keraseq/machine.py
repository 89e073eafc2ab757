"""Where keraseq runs: the versions, the devices and the thread settings in force.

One report, read by `keraseq info`, recorded by the tour in `results.json` (`record`) and by the
benchmarks with their timings: a measured number says on what it was measured. Nothing here
changes a setting; the backend's module, already loaded by Keras, is only asked.
"""

import importlib.metadata
import os
import platform
import sys

import keras

from keraseq import __version__

FRAMEWORKS = ["keras", "numpy", "jax", "jaxlib", "tensorflow", "torch", "keras-hub"]
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "XLA_FLAGS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def versions():
    """`{package: version}` of keraseq's frameworks ("not installed" for the absent ones)."""
    found = {}
    for name in FRAMEWORKS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def processor():
    """The processor as the platform names it, else its architecture (e.g. `x86_64`)."""
    return platform.processor() or platform.machine()


def devices(backend=None):
    """The devices the backend computes on, e.g. `['cpu:0']`."""
    backend = backend or keras.backend.backend()
    if backend == "torch":  # Keras has no distribution library for torch: ask torch, already loaded
        torch = sys.modules["torch"]
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())] + ["cpu:0"]
    return keras.distribution.list_devices()


def thread_settings(backend=None):
    """The CPU count, the thread variables set, and the backend's intra/inter-op threads: what
    limits speed on a CPU, and so what every timing must report."""
    backend = backend or keras.backend.backend()
    settings = {"cpu_count": os.cpu_count()}
    for var in THREAD_VARIABLES:
        if os.environ.get(var):
            settings[var] = os.environ[var]
    if backend == "torch":
        torch = sys.modules["torch"]
        settings["torch_intra_op_threads"] = torch.get_num_threads()
        settings["torch_inter_op_threads"] = torch.get_num_interop_threads()
    elif backend == "tensorflow":
        threading = sys.modules["tensorflow"].config.threading
        settings["tf_intra_op_threads"] = threading.get_intra_op_parallelism_threads() or "auto"
        settings["tf_inter_op_threads"] = threading.get_inter_op_parallelism_threads() or "auto"
    return settings


def record():
    """What a results file records: the platform and the thread settings."""
    return {"platform": platform.platform(), **thread_settings()}


def environment():
    """Everything `keraseq info` prints: keraseq, Python, backend, versions, devices, threads."""
    backend = keras.backend.backend()
    return {
        "keraseq": __version__,
        "location": os.path.dirname(os.path.abspath(__file__)),  # which install: a venv's, a clone
        "python": sys.version.split()[0],
        "backend": backend,
        "versions": versions(),
        "devices": devices(backend),
        "threads": thread_settings(backend),
    }
