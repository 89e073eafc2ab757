"""Text for the language models: corpora, a character tokenizer and batches of random windows."""

from keraseq.data.batches import WindowBatches, train_validation_split
from keraseq.data.corpus import CORPORA, load_corpus
from keraseq.data.tokenizer import CharTokenizer

__all__ = ["CORPORA", "load_corpus", "CharTokenizer", "WindowBatches", "train_validation_split"]
