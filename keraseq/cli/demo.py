"""`keraseq demo`: train keraseq's LSTM on a small memory task, then prove it equals Keras's."""

import keras
import numpy as np

from keraseq.cli import UsageError
from keraseq.layers import LSTM


def add_parser(sub):
    parser = sub.add_parser(
        "demo", help="train keraseq's LSTM on a tiny task and check it equals keras.layers.LSTM"
    )
    parser.add_argument("--epochs", type=int, default=4, help="training epochs (default 4)")
    parser.add_argument("--timesteps", type=int, default=12, help="sequence length (default 12)")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(run=run)


def first_sign_task(n, timesteps, rng):
    """Sequences of uniform noise in [-1, 1]; the label is whether the *first* value is positive.

    The answer sits at the start and the loss at the end, so the model has to carry one bit across
    the whole sequence: a small memory task.
    """
    x = rng.uniform(-1, 1, size=(n, timesteps, 1)).astype("float32")
    y = (x[:, 0, 0] > 0).astype("float32")[:, None]
    return x, y


def lstm_classifier(lstm_layer, timesteps):
    return keras.Sequential(
        [keras.Input((timesteps, 1)), lstm_layer, keras.layers.Dense(1, activation="sigmoid")]
    )


def run(args):
    if args.epochs <= 0 or args.timesteps <= 0:
        raise UsageError("--epochs and --timesteps must be positive integers")
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = first_sign_task(4096, args.timesteps, rng)
    x_test, y_test = first_sign_task(512, args.timesteps, rng)

    print(
        f"backend {keras.backend.backend()}: training keraseq.layers.LSTM(32) to recall the sign "
        f"of the first of {args.timesteps} values"
    )
    ours = lstm_classifier(LSTM(32), args.timesteps)
    ours.compile(
        optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"]
    )
    ours.fit(x_train, y_train, batch_size=64, epochs=args.epochs, verbose=2)
    _, accuracy = ours.evaluate(x_test, y_test, verbose=0)

    twin = lstm_classifier(keras.layers.LSTM(32), args.timesteps)
    twin.set_weights(ours.get_weights())  # same weights, same order, same shapes
    diff = np.max(np.abs(ours.predict(x_test, verbose=0) - twin.predict(x_test, verbose=0)))
    print(f"test accuracy of keraseq's LSTM: {accuracy:.3f} (chance: 0.5)")
    print(
        f"max |keraseq LSTM - keras.layers.LSTM| with the same weights: {diff:.2e} "
        f"({'equal' if diff <= 1e-5 else 'DIFFERENT'} at 1e-5)"
    )
    return 0 if diff <= 1e-5 else 1
