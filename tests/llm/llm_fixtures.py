"""Fixtures of the language-model tests (import them by name): no network, a seeded Keras cache."""

import shutil
import socket

import pytest
from conftest import SHARED_DATA

from keraseq.data.corpus import SHAKESPEARE_FILE

SHAKESPEARE = SHARED_DATA / "tinyshakespeare" / "input.txt"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def keras_cache(tmp_path, no_network):
    """A Keras cache directory already holding Tiny Shakespeare (copied from the shared data)."""
    if not SHAKESPEARE.is_file():
        pytest.skip(f"Tiny Shakespeare is not at {SHAKESPEARE}")
    datasets = tmp_path / "keras_home" / "datasets"
    datasets.mkdir(parents=True)
    shutil.copy(SHAKESPEARE, datasets / SHAKESPEARE_FILE)
    return tmp_path / "keras_home"
