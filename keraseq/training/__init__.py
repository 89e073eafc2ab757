"""Pretraining a language model: the recipe (`TrainConfig`), the loop (`train`) and its log."""

from keraseq.training.config import TrainConfig, build_model, build_optimizer
from keraseq.training.loop import train

__all__ = ["TrainConfig", "build_model", "build_optimizer", "train"]
