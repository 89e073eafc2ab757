"""Post-training: from a pretrained language model to an instruction follower.

- `keraseq.posttraining.tasks`: the instruction tasks (one per capability), splits and checkers.
- `keraseq.posttraining.chat`: the chat template.
"""

from keraseq.posttraining import chat, tasks

__all__ = ["chat", "tasks"]
