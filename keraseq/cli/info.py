"""`keraseq info`: the backend, the versions, the devices and the thread settings."""

from keraseq.machine import environment


def add_parser(sub):
    parser = sub.add_parser("info", help="show the backend, versions, devices and thread settings")
    parser.set_defaults(run=run)


def run(args):
    env = environment()
    print(f"keraseq {env['keraseq']} (Python {env['python']}) from {env['location']}")
    print(f"backend:  {env['backend']}  (choose with KERAS_BACKEND=jax|tensorflow|torch)")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()))
    print("devices:  " + ", ".join(env["devices"]))
    print("threads:  " + ", ".join(f"{k}={v}" for k, v in env["threads"].items()))
