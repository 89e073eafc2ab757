"""Corpora, the character tokenizer, nanoGPT's split and the batches of random windows."""

import hashlib
import socket

import numpy as np
import pytest
from llm_fixtures import SHAKESPEARE, keras_cache, no_network  # noqa: F401  (fixtures)

from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split
from keraseq.data.corpus import SHAKESPEARE_SHA256


def test_python_docs_is_cpythons_reference_text(no_network):
    from pydoc_data.topics import topics

    text = load_corpus()  # the default
    assert len(text) > 400_000
    assert text == "\n\n".join(topics[k] for k in sorted(topics))


def test_shakespeare_comes_from_the_keras_cache_without_network(keras_cache):
    text = load_corpus("shakespeare", cache_dir=keras_cache)
    assert text == SHAKESPEARE.read_text(encoding="utf-8")
    assert hashlib.sha256(text.encode()).hexdigest() == SHAKESPEARE_SHA256
    assert len(set(text)) == 65


def test_text_file_corpus_and_its_errors(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("héllo wörld\n", encoding="utf-8")
    assert load_corpus(good) == "héllo wörld\n"
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        load_corpus(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 0xe9 at offset 3\)"):
        load_corpus(tmp_path / "latin1.txt")
    with pytest.raises(ValueError, match="unknown corpus 'wikipedia'"):
        load_corpus("wikipedia")


def test_tokenizer_round_trip_save_load_and_unknown_characters(tmp_path):
    tokenizer = CharTokenizer.from_text("to be or not to be")
    assert tokenizer.get_vocabulary() == sorted(set("to be or not to be"))
    assert tokenizer.vocabulary_size() == 7
    ids = tokenizer.tokenize("not to be")
    assert ids.dtype == np.int32
    assert [tokenizer.id_to_token(i) for i in ids] == list("not to be")
    assert tokenizer.detokenize(ids) == "not to be"
    tokenizer.save(tmp_path / "tokenizer.json")
    loaded = CharTokenizer.load(tmp_path / "tokenizer.json")
    assert loaded.get_vocabulary() == tokenizer.get_vocabulary()
    with pytest.raises(ValueError, match="unknown characters 'Q', 'x'"):
        tokenizer.tokenize("xQ to be")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a saved CharTokenizer"):
        CharTokenizer.load(tmp_path / "bad.json")


def test_shakespeare_without_network_is_one_clear_error(tmp_path, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(OSError, match="could not download Tiny Shakespeare") as raised:
        load_corpus("shakespeare", cache_dir=tmp_path)
    assert "\n" not in str(raised.value) and "--corpus python-docs" in str(raised.value)


def test_detokenize_refuses_ids_outside_the_vocabulary():
    """`detokenize([-1])` returned the last character."""
    tokenizer = CharTokenizer.from_text("abc")
    for ids in ([-1], [3], [0, 99]):
        with pytest.raises(ValueError, match=r"outside the vocabulary: expected ids in \[0, 3\)"):
            tokenizer.detokenize(ids)


def test_split_is_first_90_and_last_10_percent():
    ids = np.arange(1001)
    train, validation = train_validation_split(ids)
    assert len(train) == int(1001 * 0.9) == 900
    assert np.array_equal(np.concatenate([train, validation]), ids)


def test_windows_are_shifted_slices_and_depend_only_on_the_step():
    ids = np.arange(500, dtype="int32")  # token i is i: a window's first token is its offset
    batches = WindowBatches(ids, batch_size=6, sequence_length=16, num_batches=10, seed=3)
    x, y = batches[4]
    assert x.shape == y.shape == (6, 16)
    offsets = x[:, 0]
    assert np.array_equal(x, offsets[:, None] + np.arange(16))
    assert np.array_equal(y, x + 1)  # the targets are the next tokens
    resumed = WindowBatches(ids, batch_size=6, sequence_length=16, num_batches=6, seed=3, start=4)
    assert np.array_equal(resumed[0][0], x)  # resuming at step 4 gives step 4's batch
    other_seed = WindowBatches(ids, batch_size=6, sequence_length=16, num_batches=10, seed=4)
    assert not np.array_equal(other_seed[4][0], x)
    with pytest.raises(ValueError, match="too few for windows of sequence_length 16"):
        WindowBatches(ids[:16], batch_size=2, sequence_length=16, num_batches=1)
