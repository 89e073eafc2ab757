"""A tiny 'fine-tuned' model on disk (random weights, the tasks' alphabet) and runs built on it."""

import keras
import pytest

from keraseq import checkpoint
from keraseq.data import CharTokenizer
from keraseq.models import MiniGPT
from keraseq.posttraining import chat
from keraseq.posttraining.tasks import get_tasks

TINY_PAIRS = dict(pairs=24, heldout_pairs=12, samples_per_prompt=3, batch_size=8, interval=2)


def task_tokenizer(extra=""):
    characters = set(chat.MARKERS) | set(extra)
    for task in get_tasks():
        characters |= task.alphabet()
    return CharTokenizer(sorted(characters))


def save_tiny_model(directory, tokenizer, seed=0):
    keras.utils.set_random_seed(seed)
    model = MiniGPT(
        tokenizer.vocabulary_size(),
        64,
        num_layers=1,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
    )
    model.build((None, 64))
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint.save_model(model, directory)
    tokenizer.save(directory / checkpoint.TOKENIZER_FILE)
    return directory


@pytest.fixture(scope="module")
def sft_dir(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("sft"), task_tokenizer())


@pytest.fixture(scope="module")
def reward_dir(sft_dir, tmp_path_factory):
    from keraseq.posttraining.reward import train_reward

    out = tmp_path_factory.mktemp("rm")
    train_reward(sft_dir, out, steps=2, tasks="numbers,addition", verbose=0, **TINY_PAIRS)
    return out
