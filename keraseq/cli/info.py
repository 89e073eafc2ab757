"""`keraseq info`: the backend, the versions, the devices and the thread settings."""

from keraseq import backend_choice
from keraseq.machine import environment


def add_parser(sub):
    parser = sub.add_parser("info", help="show the backend, versions, devices and thread settings")
    parser.set_defaults(run=run)


def run(args):
    env = environment()
    print(f"keraseq {env['keraseq']} (Python {env['python']}) from {env['location']}")
    why = ""
    if backend_choice.replaced:
        why = f"keras.json names {backend_choice.replaced}, not installed here; "
    print(f"backend:  {env['backend']}  ({why}choose with KERAS_BACKEND=jax|tensorflow|torch)")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
    print("devices:  " + ", ".join(env["devices"]))
    print("threads:  " + ", ".join(f"{k}={v}" for k, v in env["threads"].items()))
