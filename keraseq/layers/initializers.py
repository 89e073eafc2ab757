"""One initializer per weight: Keras's random initializers repeat themselves.

An unseeded Keras initializer picks its seed once, when it is made, and draws the same values on
every call. Shared by the query, key and value kernels, which have one shape, it would start them
equal ($W_Q = W_K = W_V$), and every head would begin as the same symmetric attention. Keras's own
`MultiHeadAttention` clones its initializer for each sublayer; so do keraseq's layers, with `fresh`.
"""


def fresh(initializer):
    """A new initializer from `initializer`'s config: unseeded ones get a new seed of their own."""
    return initializer.__class__.from_config(initializer.get_config())
