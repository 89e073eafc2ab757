"""Post-training: from a pretrained language model to an instruction follower.

- `keraseq.posttraining.tasks`: the instruction tasks (one per capability), splits and checkers.
- `keraseq.posttraining.chat`: the chat template.
- `keraseq.posttraining.sft`: the answer-only loss and its batches.
- `keraseq.posttraining.finetune`: `finetune` (`keraseq finetune`).
- `keraseq.posttraining.evaluate`: held-out exact match and corpus loss (`keraseq eval`).
"""

from keraseq.posttraining import chat, tasks

__all__ = ["chat", "tasks"]
