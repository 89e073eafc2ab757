"""Which Keras backend keraseq runs on, settled before Keras is imported.

Keras reads its backend once, at import: `KERAS_BACKEND`, else the `"backend"` of `keras.json`,
which Keras itself writes as `"tensorflow"` the first time it runs. So a learner who installed only
`keraseq[jax]` or `keraseq[torch]` would meet a traceback about a missing tensorflow on their first
command. The rule here:

- a backend asked for by `KERAS_BACKEND` is used; if it is not installed, keraseq says what to do;
- one named only by `keras.json` (or Keras's default) is used when installed, else the first
  installed of jax, tensorflow, torch is.

Nothing is imported to find out what is installed; once Keras is imported, nothing here applies.
"""

import importlib.util
import json
import os
import sys

BACKENDS = ("jax", "tensorflow", "torch")
KERAS_DEFAULT = "tensorflow"  # what Keras uses with no KERAS_BACKEND and no keras.json

# What keras.json (or Keras's default) named when an installed backend was used instead; else None.
replaced = None


class BackendError(ImportError):
    """The backend asked for cannot run here; the message says how to fix it."""


def keras_json_backend(environ):
    """The backend `keras.json` names, looked for where Keras looks; Keras's default without one."""
    if environ.get("KERAS_HOME"):
        folder = environ["KERAS_HOME"]
    else:
        home = os.path.expanduser("~")
        folder = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    try:
        with open(os.path.join(folder, "keras.json")) as f:
            backend = json.load(f).get("backend", KERAS_DEFAULT)
    except (OSError, ValueError, AttributeError):  # absent, unreadable, or not a JSON object
        return KERAS_DEFAULT
    return backend if isinstance(backend, str) else KERAS_DEFAULT


def installed_backends():
    """Those of `BACKENDS` this Python can import, in that order."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def choose_backend(asked, configured, installed):
    """The backend to run on.

    Args:
        asked: the value of `KERAS_BACKEND` (None or "" when unset).
        configured: the backend `keras.json` names (or Keras's default).
        installed: the installed backends, in order of preference.

    Returns:
        One of `installed`.

    Raises:
        BackendError: `asked` is not a backend keraseq runs on, or is not installed, or nothing is.
    """
    install = 'pip install "keraseq[{}]"'
    if asked:
        if asked not in BACKENDS:
            raise BackendError(
                f"KERAS_BACKEND={asked}: keraseq runs on jax, tensorflow or torch"
                + (f" (installed here: {', '.join(installed)})" if installed else "")
            )
        if asked not in installed:
            fix = install.format(asked)
            if installed:
                fix += f", or choose an installed one: KERAS_BACKEND={'|'.join(installed)}"
            raise BackendError(f"KERAS_BACKEND={asked}, but {asked} is not installed: {fix}")
        return asked
    if not installed:
        fix = f"{install.format('jax')} (or [tensorflow], or [torch])"
        raise BackendError(f"no backend for Keras is installed: {fix}")
    return configured if configured in installed else installed[0]


def invoked_as_cli():
    """Whether this process is the `keraseq` command: its script, or `python -m keraseq`."""
    script = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    return script == "keraseq" or sys.orig_argv[1:3] == ["-m", "keraseq"]


def settle_backend():
    """Sets `KERAS_BACKEND` to the chosen backend before Keras is imported.

    Raises:
        BackendError: as `choose_backend`; the `keraseq` command prints it as one line and exits 2.
    """
    global replaced
    if "keras" in sys.modules:  # Keras has read its backend already, and imported it
        return
    configured = keras_json_backend(os.environ)
    installed = installed_backends()
    try:
        backend = choose_backend(os.environ.get("KERAS_BACKEND"), configured, installed)
    except BackendError as err:
        if invoked_as_cli():  # no traceback for a command-line user: what to do, in one line
            print(f"keraseq: error: {err}", file=sys.stderr)
            raise SystemExit(2) from None
        raise
    if not os.environ.get("KERAS_BACKEND") and backend != configured:
        replaced = configured
    os.environ["KERAS_BACKEND"] = backend
