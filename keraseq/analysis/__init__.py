"""Tools to look inside the models: gradients through time, measured on any backend."""

from keraseq.analysis.autodiff import value_and_grad
from keraseq.analysis.gradients import input_gradient_norms

__all__ = ["value_and_grad", "input_gradient_norms"]
