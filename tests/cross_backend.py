"""Save a model as `.keras` under this process's backend, then load and predict under the others.

Each other backend runs in a fresh interpreter (`KERAS_BACKEND` is read when Keras is imported) and
asserts that its predictions equal the ones made here (<= 1e-5).
"""

import os
import subprocess
import sys

import keras
import numpy as np
from conftest import ATOL, BACKEND

from keraseq.backend_choice import BACKENDS

LOAD_AND_COMPARE = """
import sys, numpy as np, keras, keraseq  # keraseq registers its layers
model_path, inputs_path, expected_path, atol = sys.argv[1:5]
model = keras.saving.load_model(model_path)
inputs = dict(np.load(inputs_path))
inputs = inputs["x"] if list(inputs) == ["x"] else inputs
got = keras.ops.convert_to_numpy(model.predict(inputs, verbose=0))
diff = float(np.max(np.abs(got - np.load(expected_path))))
print(keras.backend.backend(), "max |diff| =", diff)
sys.exit(0 if diff <= float(atol) else 1)
"""


def assert_same_predictions_on_other_backends(model, inputs, tmp_path, atol=ATOL):
    """Save `model`, reload it under every other backend and compare `model.predict(inputs)`.

    `inputs` is an array or a dict of arrays (a model with named inputs).
    """
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    arrays = inputs if isinstance(inputs, dict) else {"x": inputs}
    np.savez(tmp_path / "inputs.npz", **arrays)
    np.save(tmp_path / "expected.npy", keras.ops.convert_to_numpy(model.predict(inputs, verbose=0)))
    script = [
        sys.executable,
        "-c",
        LOAD_AND_COMPARE,
        str(model_path),
        str(tmp_path / "inputs.npz"),
        str(tmp_path / "expected.npy"),
        str(atol),
    ]
    runs = {  # the other backends load in parallel
        backend: subprocess.Popen(
            script,
            env={**os.environ, "KERAS_BACKEND": backend},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for backend in BACKENDS
        if backend != BACKEND
    }
    for backend, run in runs.items():
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, (
            f"saved under {BACKEND}, loaded under {backend}:\n{stdout}\n{stderr[-3000:]}"
        )
