"""`keraseq reward`, `rlhf`, `dpo`: a user error is one line, a non-zero exit, nothing written."""

import pytest
from rlhf_fixtures import save_tiny_model, sft_dir, task_tokenizer  # noqa: F401
from test_finetune import one_line_error

from keraseq import checkpoint
from keraseq.posttraining import runs
from keraseq.posttraining.reward import reward_model_from


@pytest.fixture(scope="module")
def foreign_reward_dir(tmp_path_factory):
    """A reward model whose tokenizer has one more character than the fine-tuned model's."""
    directory = save_tiny_model(tmp_path_factory.mktemp("other"), task_tokenizer(extra="§"))
    policy, tokenizer = runs.load_policy(directory)
    checkpoint.save_model(reward_model_from(policy), directory)
    return directory


def test_a_language_model_is_not_a_reward_model(sft_dir, tmp_path, capsys):
    out = tmp_path / "rlhf"
    err = one_line_error(
        capsys, ["rlhf", str(sft_dir), "--reward", str(sft_dir), "--out", str(out)], "rlhf"
    )
    assert "not a reward model" in err and not out.exists()


def test_a_reward_model_is_not_a_policy(foreign_reward_dir, tmp_path, capsys):
    err = one_line_error(capsys, ["dpo", str(foreign_reward_dir), "--out", str(tmp_path)], "dpo")
    assert "reward model, not a language model" in err


def test_another_tokenizer_is_refused(sft_dir, foreign_reward_dir, tmp_path, capsys):
    out = tmp_path / "rlhf"
    argv = ["rlhf", str(sft_dir), "--reward", str(foreign_reward_dir), "--out", str(out)]
    err = one_line_error(capsys, argv, "rlhf")
    assert "another tokenizer" in err and not out.exists()


@pytest.mark.parametrize(
    "command, flags, message",
    [
        ("rlhf", ["--reward", "RM", "--kl", "-0.1"], "must be >= 0"),
        ("dpo", ["--beta", "-1"], "must be >= 0"),
        ("reward", ["--pairs", "0"], "--pairs must be a positive integer"),
        ("dpo", ["--pairs", "0"], "--pairs must be a positive integer"),
    ],
)
def test_bad_settings_fail_before_any_work(sft_dir, tmp_path, capsys, command, flags, message):
    out = tmp_path / "out"
    err = one_line_error(capsys, [command, str(sft_dir), *flags, "--out", str(out)], command)
    assert message in err and not out.exists()


def test_a_missing_checkpoint_is_one_line(tmp_path, capsys):
    err = one_line_error(
        capsys, ["reward", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")], "reward"
    )
    assert "no checkpoint" in err
