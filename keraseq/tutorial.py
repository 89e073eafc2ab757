"""What every tutorial notebook (the docs site's pages) starts with: quick mode, a seed, a header.

Quick mode: with the environment variable `KERASEQ_QUICK=1` the pages run fewer samples, steps and
epochs, so that each executes in seconds (the tests and CI use it); without it they run in full
(the published site).
"""

import os

import keras
import numpy as np

QUICK_VARIABLE = "KERASEQ_QUICK"


def quick():
    """Whether quick mode is on (`KERASEQ_QUICK=1`)."""
    return os.environ.get(QUICK_VARIABLE) == "1"


def start(seed=0):
    """Seed Keras, print the backend, versions and mode; return `(quick(), numpy_generator)`."""
    keras.utils.set_random_seed(seed)
    print(f"backend {keras.backend.backend()}, keras {keras.__version__}, quick mode {quick()}")
    return quick(), np.random.default_rng(seed)
