"""Shared test helpers. Every test module runs under the backend named by KERAS_BACKEND."""

import os
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

BACKEND = keras.backend.backend()
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
ATOL = 1e-5  # the project's bar for "equal" in float32
# Property tests draw the same cases on every run (derandomize), so CI cannot fail on a case that no
# earlier run drew; KERASEQ_PROPERTY_EXAMPLES=300 searches wider, by hand.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("KERASEQ_PROPERTY_EXAMPLES", 30)),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def max_abs_diff(a, b):
    """Max |a - b| over (possibly nested lists of) tensors."""
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{len(a)} outputs vs {len(b)}"
        return max(max_abs_diff(x, y) for x, y in zip(a, b))
    a, b = to_numpy(a), to_numpy(b)
    assert a.shape == b.shape, f"shape {a.shape} vs {b.shape}"
    return float(np.max(np.abs(a.astype("float64") - b.astype("float64")))) if a.size else 0.0


def assert_no_two_weights_start_equal(layer):
    """Randomly initialized weights of one shape must differ: an initializer shared by several
    weights repeats its values (Keras initializers draw from a seed fixed when they are made)."""
    random = [w for w in layer.weights if np.ptp(to_numpy(w)) > 0]  # not zeros or ones
    for i, a in enumerate(random):
        for b in random[i + 1 :]:
            if a.shape == b.shape:
                assert not np.allclose(to_numpy(a), to_numpy(b)), f"{a.path} == {b.path} at init"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    keras.config.set_floatx("float32")
    yield


def pytest_report_header(config):
    return f"keras {keras.__version__}, KERAS_BACKEND={BACKEND}, cpu_count={os.cpu_count()}"
