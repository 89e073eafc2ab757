"""Post-training: from a language model to an assistant aligned with preferences."""
