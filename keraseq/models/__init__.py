"""Language models: `RecurrentLM` (RNN/LSTM/GRU) and `MiniGPT` (a small GPT), and the kinds.

Both map token ids `(B, T)` to next-token logits `(B, T, vocab)` in `call`, and both decode one
token at a time for `keraseq.generate` through the same two methods: `generate_start(prompt_ids)`
and `generate_step(token_ids, state)`, each returning `(logits (B, vocab), state)`.
`kinds` is the registry of the model kinds (`rnn`, `lstm`, `gru`, `transformer`); `language_model`
builds the language model of a kind.
"""

from keraseq.models import kinds
from keraseq.models.kinds import KINDS, language_model
from keraseq.models.minigpt import MiniGPT
from keraseq.models.recurrent_lm import RecurrentLM

__all__ = ["KINDS", "MiniGPT", "RecurrentLM", "kinds", "language_model"]
