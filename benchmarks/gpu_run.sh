#!/bin/bash
# Issue 13's device check: the speed benchmarks and `keraseq evolve --only speed` on a machine with
# one GPU, jax and torch (the lent machine has no TensorFlow and no package registry). Python there
# has jax and torch; keras, namex, optree and keraseq travel as wheels in .whl/ (the device tool's
# README says how to fetch them). Results go to $OUT/results.tgz; copy them into
# benchmarks/results/gpu/ and run `python benchmarks/gpu_report.py`.
#
# The committed results came from two calls of this script's steps (the first call's 75 s limits
# cut lm_train_step and generate_speed, and torch's evolve hit a keraseq bug, since fixed); the step
# sizes below are the ones that finished. attention_step needs keras-hub, which was not carried;
# generate_speed's eager-step contender did not finish 3 rounds in 80 s on the GPU.
cd "$(dirname "$0")/.." || exit 1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site \
  .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
R=$OUT/r
ROOT=$PWD
mkdir -p "$R"
pack() { tar czf "$OUT/results.tgz" -C "$R" .; }
step() { # step SECONDS NAME COMMAND...: one measurement, its log, results packed after each
  local limit=$1 name=$2 start=$SECONDS
  shift 2
  echo "=== $name"
  timeout -k 5 "$limit" "$@" >"$R/$name.log" 2>&1
  echo "=== $name rc=$? $((SECONDS - start)) s"
  tail -n 25 "$R/$name.log"
  pack
}
nvidia-smi -L
cd /tmp || exit 1 # keraseq from the wheel, not the checkout
step 200 evolve-speed-jax env KERAS_BACKEND=jax python3 -m keraseq evolve --only speed --full \
  --quiet --out "$R/evolve-jax"
step 60 evolve-speed-torch env KERAS_BACKEND=torch python3 -m keraseq evolve --only speed \
  --quiet --out "$R/evolve-torch-quick"
step 100 lm_train_step python3 "$ROOT/benchmarks/lm_train_step.py" --backends jax torch \
  --steps 5 --warmup 1 --out "$R/lm_train_step"
step 75 recurrent_train_step python3 "$ROOT/benchmarks/recurrent_train_step.py" \
  --backends jax torch --out "$R/recurrent_train_step"
cd "$ROOT" || exit 1
step 80 pytest-torch env KERAS_BACKEND=torch python3 -m pytest -q -x -p no:cacheprovider \
  tests/llm/test_generate.py tests/llm/test_models.py
