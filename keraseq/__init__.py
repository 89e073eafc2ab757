"""keraseq: learn sequence models by running them, from the RNN to a mini-LLM, on Keras 3."""

__version__ = "0.1.0"

from keraseq import convert, layers  # noqa: E402

__all__ = ["layers", "convert", "__version__"]
