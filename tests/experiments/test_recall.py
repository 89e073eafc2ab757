"""The recall task: where the cue is, what the answer is, what chance is; memory, range results."""

import numpy as np
import pytest

from keraseq.experiments.claims import long_range, memory
from keraseq.experiments.support.recall import RecallBudget, chance_band, recall_batch


@pytest.mark.parametrize("distractors", [False, True])
def test_cue_answer_and_query_are_where_they_should_be(distractors):
    rng = np.random.default_rng(0)
    x, y = recall_batch(rng, 64, 10, np.arange(64) % 9 + 1, 3, distractors)
    assert x.shape == (64, 10, 5) and y.dtype == np.int32
    cue = np.argmax(x[:, :, 3], axis=1)
    assert np.array_equal(cue, 9 - (np.arange(64) % 9 + 1))  # `distance` steps before the query
    assert np.all(x[:, :, 3].sum(axis=1) == 1) and np.all(x[:, -1, 4] == 1)
    assert np.array_equal(np.argmax(x[np.arange(64), cue, :3], axis=1), y)
    assert np.all(x[:, -1, :3].sum(axis=1) == 0)  # the query step gives nothing away
    if not distractors:
        assert x[:, :, :3].sum() == 64  # only the cue carries a symbol


def test_chance_level_is_one_over_the_symbols():
    budget = RecallBudget(num_symbols=4, eval_size=512)
    _, y = recall_batch(np.random.default_rng(1), 40000, 6, 3, 4, distractors=True)
    frequencies = np.bincount(y, minlength=4) / len(y)
    assert budget.chance == 0.25
    assert np.all(np.abs(frequencies - 0.25) < 0.01)  # best constant guess: 1 / num_symbols
    # the distractors carry no information: the most common distractor is right only at chance
    x, y = recall_batch(np.random.default_rng(2), 40000, 6, 3, 4, distractors=True)
    guess = np.argmax(x[:, :-1, :4].sum(axis=1) - x[np.arange(len(y)), 2, :4], axis=1)
    assert abs(np.mean(guess == y) - 0.25) < 0.02
    assert 0.25 < chance_band(budget) < 0.33


def test_bad_distance_is_a_clear_error():
    with pytest.raises(ValueError, match="distance must be in"):
        recall_batch(np.random.default_rng(0), 4, 5, 5, 3)


@pytest.fixture(scope="module")
def tiny_memory():
    budget = RecallBudget(width=8, steps=60, batch_size=32, eval_size=256, learning_rate=1e-2)
    return memory.run(kinds=("lstm", "transformer"), delays=(2, 6), budget=budget, verbose=0)


def test_memory_result_fields(tiny_memory):
    r = tiny_memory
    assert r["delay"] == [2, 6] and set(r["accuracy"]) == {"lstm", "transformer"}
    assert r["chance"] == 0.25 and r["budget"]["steps"] == 60
    for kind, values in r["accuracy"].items():
        assert all(0 <= a <= 1 for a in values)
        longest = r["longest_recalled"][kind]
        assert longest is None or r["accuracy"][kind][r["delay"].index(longest)] >= 0.9


def test_short_delay_is_learned_above_chance(tiny_memory):
    assert max(a[0] for a in tiny_memory["accuracy"].values()) > tiny_memory["chance_band"]


def test_range_rejects_distances_outside_the_sequence():
    with pytest.raises(ValueError, match="distances must be in"):
        long_range.run(kinds=("rnn",), length=10, distances=(1, 10), verbose=0)
