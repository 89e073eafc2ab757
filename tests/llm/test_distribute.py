"""`--distribute data-parallel`: on 2 virtual CPU devices (JAX), the same losses as one device."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import BACKEND, ROOT

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import keras, numpy as np
    from keraseq.training import train

    out = Path(sys.argv[1])
    tiny = dict(model="transformer", steps=4, decay_steps=4, warmup_steps=1, batch_size=4,
                sequence_length=16, num_layers=1, hidden_dim=16, num_heads=2, eval_interval=2,
                eval_batches=2, verbose=0)
    single = train(out / "single", **tiny)
    parallel = train(out / "parallel", distribute="data-parallel", **tiny)
    kernel = parallel.trainable_variables[0].value
    print(json.dumps({
        "devices": keras.distribution.list_devices(),
        "distribution": type(keras.distribution.distribution()).__name__,
        "weights_on": len(kernel.sharding.device_set),
        "max_weight_diff": max(float(np.max(np.abs(a - b)))
                               for a, b in zip(single.get_weights(), parallel.get_weights())),
        "metrics": [(out / run / "metrics.csv").read_text() for run in ("single", "parallel")],
    }))
    """
)


@pytest.mark.skipif(BACKEND != "jax", reason="keras.distribution runs on JAX; one run is enough")
def test_data_parallel_on_two_cpu_devices_matches_one_device(tmp_path):
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["devices"] == ["cpu:0", "cpu:1"]
    assert report["distribution"] == "DataParallel" and report["weights_on"] == 2
    assert report["max_weight_diff"] <= 1e-5
    single, parallel = (
        [line.split(",") for line in text.split()[1:]] for text in report["metrics"]
    )
    for a, b in zip(single, parallel, strict=True):
        assert a[0] == b[0]  # step
        assert float(a[1]) == pytest.approx(float(b[1]), abs=1e-5)  # train loss
        assert float(a[2]) == pytest.approx(float(b[2]), abs=1e-5)  # validation loss
