"""keraseq: learn sequence models by running them, from the RNN to a mini-LLM, on Keras 3."""

__version__ = "0.1.0"

from keraseq.backend_choice import settle_backend  # noqa: E402

settle_backend()  # before anything imports Keras, which reads its backend once

from keraseq import convert, data, layers, models, training  # noqa: E402
from keraseq.checkpoint import load_checkpoint  # noqa: E402
from keraseq.generation import generate  # noqa: E402

__all__ = [
    "layers",
    "convert",
    "data",
    "models",
    "training",
    "generate",
    "load_checkpoint",
    "__version__",
]
