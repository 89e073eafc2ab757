"""Corpora by name, or any UTF-8 text file: `load_corpus("python-docs" | "shakespeare" | PATH)`."""

from pathlib import Path

import keras

SHAKESPEARE_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
)
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
SHAKESPEARE_FILE = "tinyshakespeare.txt"
CORPORA = ("python-docs", "shakespeare")


def python_docs():
    """The reference text shipped with every CPython (`pydoc_data.topics`), about 465 KB of English.

    It is what `help("if")` prints: always on disk, so keraseq trains with no download.
    """
    from pydoc_data.topics import topics  # lazy: a large module, read for this corpus only

    return "\n\n".join(topics[key] for key in sorted(topics))


def shakespeare(cache_dir=None):
    """Tiny Shakespeare (Karpathy's char-rnn, 1.1 MB), downloaded once into the Keras cache.

    Args:
        cache_dir: Where `keras.utils.get_file` caches it (default: `$KERAS_HOME`, `~/.keras`); the
            file is `CACHE_DIR/datasets/tinyshakespeare.txt` and is checked against its SHA-256.

    Raises:
        OSError: It is not cached and cannot be downloaded (no network).
    """
    try:
        path = keras.utils.get_file(
            SHAKESPEARE_FILE,
            origin=SHAKESPEARE_URL,
            file_hash=SHAKESPEARE_SHA256,
            hash_algorithm="sha256",
            cache_dir=cache_dir,
        )
    except Exception as err:  # Keras raises a bare Exception for a failed fetch
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise OSError(
            f"could not download Tiny Shakespeare ({reason}): connect to the network once, or "
            "use --corpus python-docs (offline) or a text file"
        ) from err
    return read_text_file(path)


def read_text_file(path):
    """The contents of a UTF-8 text file; a clear `ValueError`/`OSError` if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise OSError(f"no such corpus file: {path}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"corpus {path} is not UTF-8 text (byte {data[err.start]:#04x} at offset {err.start})"
        ) from None
    if not text:
        raise ValueError(f"corpus {path} is empty")
    return text


def load_corpus(name_or_path="python-docs", cache_dir=None):
    """Loads a corpus as one string.

    Args:
        name_or_path: `"python-docs"` (the default: CPython's own reference text, offline),
            `"shakespeare"` (Tiny Shakespeare, downloaded once and cached) or a path to a UTF-8
            text file.
        cache_dir: Keras cache directory for downloaded corpora (see `shakespeare`).

    Returns:
        The text, a non-empty `str`.

    Raises:
        ValueError: An unknown name, a file that is empty or not UTF-8.
        OSError: A path that does not exist.
    """
    name = str(name_or_path)
    if name == "python-docs":
        return python_docs()
    if name == "shakespeare":
        return shakespeare(cache_dir)
    if not Path(name).exists():
        raise ValueError(
            f"unknown corpus {name!r}: expected one of {', '.join(CORPORA)} or the path of a "
            "UTF-8 text file"
        )
    return read_text_file(name)
