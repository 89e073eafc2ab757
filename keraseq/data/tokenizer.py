"""A character tokenizer: one token per distinct character of the training text (pure Python)."""

import json
from pathlib import Path

import numpy as np

from keraseq import files


class CharTokenizer:
    """Maps each character of a fixed vocabulary to an integer id, and back.

    The method names are keras-hub's (`tokenize`, `detokenize`, `vocabulary_size`, `id_to_token`,
    `token_to_id`), so code written for a keras-hub tokenizer reads the same. Tiny Shakespeare has
    65 distinct characters, so its model's vocabulary has 65 entries.

    Args:
        vocabulary: The characters, each a one-character string, no duplicates; id `i` is
            `vocabulary[i]`.

    Example:

    ```python
    tokenizer = CharTokenizer.from_text("hello world")
    ids = tokenizer.tokenize("hello")        # array([3, 2, 4, 4, 5], dtype=int32)
    tokenizer.detokenize(ids)                # 'hello'
    ```
    """

    def __init__(self, vocabulary):
        vocabulary = list(vocabulary)
        bad = [token for token in vocabulary if not isinstance(token, str) or len(token) != 1]
        if bad:
            raise ValueError(f"a CharTokenizer vocabulary holds single characters, got {bad[:5]!r}")
        if len(set(vocabulary)) != len(vocabulary):
            raise ValueError("the CharTokenizer vocabulary has duplicate characters")
        if not vocabulary:
            raise ValueError("the CharTokenizer vocabulary is empty")
        self.vocabulary = vocabulary
        self._ids = {token: i for i, token in enumerate(vocabulary)}

    @classmethod
    def from_text(cls, text):
        """The tokenizer whose vocabulary is the sorted set of characters of `text`."""
        return cls(sorted(set(text)))

    def vocabulary_size(self):
        return len(self.vocabulary)

    def get_vocabulary(self):
        return list(self.vocabulary)

    def id_to_token(self, id):
        return self.vocabulary[id]

    def token_to_id(self, token):
        return self._ids[token]

    def tokenize(self, text):
        """The ids of the characters of `text`, an int32 array of shape `(len(text),)`.

        Raises:
            ValueError: `text` has characters outside the vocabulary; the message names them.
        """
        try:
            return np.fromiter((self._ids[c] for c in text), dtype="int32", count=len(text))
        except KeyError:
            unknown = sorted(set(text) - set(self._ids))
            raise ValueError(
                f"unknown character{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(c) for c in unknown[:20])}: the tokenizer knows only the "
                f"{self.vocabulary_size()} characters of its training corpus"
            ) from None

    def detokenize(self, ids):
        """The text of a sequence of ids (any int array-like of rank 1).

        Raises:
            ValueError: An id outside `[0, vocabulary_size)` (a negative one would otherwise
                silently index from the end).
        """
        ids = np.asarray(ids).reshape(-1)
        bad = [int(i) for i in ids if not 0 <= i < len(self.vocabulary)]
        if bad:
            raise ValueError(
                f"token ids {bad[:5]} are outside the vocabulary: expected ids in "
                f"[0, {self.vocabulary_size()})"
            )
        return "".join(self.vocabulary[int(i)] for i in ids)

    def get_config(self):
        return {"vocabulary": self.get_vocabulary()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, path):
        """Writes the vocabulary as JSON to `path`, atomically."""
        files.write_text(path, json.dumps(self.get_config(), ensure_ascii=False))

    @classmethod
    def load(cls, path):
        """The tokenizer saved by `save` at `path`."""
        path = Path(path)
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_config(config)
        except FileNotFoundError:
            raise
        except (ValueError, TypeError) as err:  # bad JSON, bad UTF-8, wrong keys or vocabulary
            raise ValueError(f"{path} is not a saved CharTokenizer: {err}") from None
