"""Keras's own layer checks (`run_layer_test`: build, config, serialization, masking, precision)."""

from keras.src.testing import TestCase


class LayerChecks(TestCase):
    def run_layer_tests(self, cases, input_shape, expected_output_shape):
        """`cases`: `(layer class, init kwargs, trainable weights, seed generators)` tuples."""
        for layer_cls, init_kwargs, trainable, seed_generators in cases:
            self.run_layer_test(
                layer_cls,
                init_kwargs=init_kwargs,
                input_shape=input_shape,
                expected_output_shape=expected_output_shape,
                expected_num_trainable_weights=trainable,
                expected_num_non_trainable_weights=0,
                expected_num_seed_generators=seed_generators,
                expected_num_losses=0,
                supports_masking=True,
                run_training_check=False,
            )
