r"""LoRA (Hu et al., 2021): a frozen kernel plus a trainable low-rank update, written once for every
kernel of keraseq's attention and feed-forward layers, with the semantics of Keras's
`keras.layers.Dense.enable_lora` and `keras.layers.EinsumDense.enable_lora`.

$$
W' = W + \frac{\alpha}{r} A B, \qquad
A:\ \text{shape}(W)_{:-1} \times r, \quad B:\ r \times \text{shape}(W)_{-1}
$$

$W$ is frozen, $A$ starts random (He uniform) and $B$ at zero, so training starts from the layer as
it was and learns an update of rank $r$ per kernel.
"""

import numbers

import keras
from keras import ops

from keraseq.layers import validation
from keraseq.layers.initializers import fresh


def check_alpha(lora_alpha):
    if lora_alpha is not None and (
        isinstance(lora_alpha, bool) or not isinstance(lora_alpha, numbers.Real) or lora_alpha <= 0
    ):
        raise ValueError(f"`lora_alpha` must be a positive number or None, got {lora_alpha!r}.")


class LoRA:
    """Mixin: `enable_lora`, `lora_rank`, `lora_alpha` and `lora_enabled` as in Keras's layers.

    `lora_rank` and `lora_alpha` are constructor arguments and `get_config` entries (once LoRA is
    enabled, too); a layer made with `lora_rank` enables LoRA at the end of `build` (the layer calls
    `build_lora()`), which is how a saved LoRA layer comes back. Subclasses add the adapters in
    `add_lora_adapters`.
    """

    def __init__(self, lora_rank=None, lora_alpha=None, **kwargs):
        super().__init__(**kwargs)
        if lora_rank is not None:
            validation.positive_int("lora_rank", lora_rank)
        check_alpha(lora_alpha)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        r"""Freezes the kernels and adds trainable adapters: $W' = W + \frac{\alpha}{r} A B$.

        Args:
            rank: $r$, the rank of the update.
            lora_alpha: $\alpha$; `rank` if `None` (a scale of 1).
            a_initializer: Initializer of $A$ (a new one per kernel).
            b_initializer: Initializer of $B$; zeros keep the outputs unchanged at the start.

        Raises:
            ValueError: The layer has a kernel constraint, is not built or has LoRA already
                (Keras's errors), or `rank`/`lora_alpha` is not a positive number.
        """
        if getattr(self, "kernel_constraint", None):
            raise ValueError(
                "Lora is incompatible with kernel constraints. In order to enable lora on this "
                "layer, remove the `kernel_constraint` argument."
            )
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        rank = validation.positive_int("rank", rank)
        check_alpha(lora_alpha)
        self.add_lora_adapters(rank, lora_alpha, a_initializer, b_initializer)
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def build_lora(self):
        """Ends `build`: enables LoRA if the config asks for it (`lora_rank`), as Keras does."""
        if self.lora_rank and not self.lora_enabled:
            self.built = True  # enable_lora needs a built layer
            self.enable_lora(self.lora_rank, self.lora_alpha)

    def get_config(self):
        config = super().get_config()
        if self.lora_rank:
            config.update(lora_rank=self.lora_rank, lora_alpha=self.lora_alpha)
        return config


class LoRAKernels(LoRA):
    r"""Mixin giving a keraseq layer Keras's LoRA on the kernels named in `lora_kernels`.

    The layer lists the prefixes `n` of its kernels `n_kernel` in `lora_kernels`, passes
    `lora_rank`/`lora_alpha` to `super().__init__`, calls `build_lora()` at the end of `build` and
    reads its kernels through `effective_kernel(n)`.

    As Keras 3.15's `Dense`/`EinsumDense`: the adapters `n_lora_kernel_a` $A$, shape
    `kernel.shape[:-1] + (rank,)`, and `n_lora_kernel_b` $B$, shape `(rank, kernel.shape[-1])`,
    float32, with the kernel regularizer, come after the layer's other weights; the kernels are
    frozen, the biases stay trainable. Saving writes the merged kernels
    $W + \frac{\alpha}{r} A B$ in the places of the kernels and no adapters: the file is that of the
    layer without LoRA, and loads into either.

    One deliberate difference, on loading into a layer with LoRA enabled: Keras sets both $A$ and
    $B$ to zero, which keeps the outputs but leaves both gradients at zero
    ($\partial A = X^\top G B^\top$, $\partial B = (X A)^\top G$): training cannot resume.
    keraseq sets $B$ to zero and draws $A$ anew from its initializer: the same outputs, and fresh
    adapters on the merged kernels that train.
    """

    lora_kernels = ()

    def add_lora_adapters(self, rank, lora_alpha, a_initializer, b_initializer):
        a_initializer = keras.initializers.get(a_initializer)
        b_initializer = keras.initializers.get(b_initializer)
        self.lora_a_initializers = {}  # kept to draw A anew on loading
        self._tracker.unlock()  # a built layer's state is locked; Keras's enable_lora unlocks it
        try:
            for name in self.lora_kernels:
                kernel = getattr(self, f"{name}_kernel")
                self.lora_a_initializers[name] = fresh(a_initializer)
                for part, shape, initializer in (
                    ("a", (*kernel.shape[:-1], rank), self.lora_a_initializers[name]),
                    ("b", (rank, kernel.shape[-1]), fresh(b_initializer)),
                ):
                    adapter = self.add_weight(
                        name=f"{name}_lora_kernel_{part}",
                        shape=shape,
                        initializer=initializer,
                        dtype="float32",  # as Keras: no underflow under mixed precision
                        regularizer=getattr(self, "kernel_regularizer", None),
                    )
                    setattr(self, f"{name}_lora_kernel_{part}", adapter)
                kernel.trainable = False
        finally:
            self._tracker.lock()

    def effective_kernel(self, name):
        r"""The kernel `name_kernel` as the layer uses it: $W$, or $W + \frac{\alpha}{r} A B$."""
        kernel = getattr(self, f"{name}_kernel")
        if not self.lora_enabled:
            return kernel
        a, b = self.lora_adapters(name)
        update = ops.matmul(a, b)  # A B, the kernel's shape
        scale = self.lora_alpha / self.lora_rank
        return ops.cast(kernel + scale * update, self.compute_dtype)  # W + α/r A B

    def lora_adapters(self, name):
        """The adapters `(A, B)` of the kernel `name_kernel`."""
        return getattr(self, f"{name}_lora_kernel_a"), getattr(self, f"{name}_lora_kernel_b")

    def lora_weights(self):
        """Every adapter, `A` then `B` of each kernel in `lora_kernels` order; none without LoRA."""
        if not self.lora_enabled:
            return []
        return [w for name in self.lora_kernels for w in self.lora_adapters(name)]

    def weights_without_adapters(self):
        adapters = {id(w) for w in self.lora_weights()}
        return [w for w in self.weights if id(w) not in adapters]

    def save_own_variables(self, store):
        """Saves the weights of the layer without LoRA, each kernel merged with its adapters."""
        kernels = self.lora_kernels if self.lora_enabled else ()
        merged = {id(getattr(self, f"{name}_kernel")): name for name in kernels}
        for i, weight in enumerate(self.weights_without_adapters()):
            name = merged.get(id(weight))
            store[str(i)] = weight if name is None else self.effective_kernel(name)

    def load_own_variables(self, store):
        """Loads the weights of the layer without LoRA; then $B = 0$ and $A$ drawn anew."""
        weights = self.weights_without_adapters()
        if len(store.keys()) != len(weights):
            raise ValueError(
                f"Layer '{self.name}' expected {len(weights)} variables, but received "
                f"{len(store.keys())} variables during loading. "
                f"Expected: {[w.name for w in weights]}"
            )
        for i, weight in enumerate(weights):
            weight.assign(store[str(i)])
        if self.lora_enabled:
            for name in self.lora_kernels:
                a, b = self.lora_adapters(name)
                a.assign(self.lora_a_initializers[name](a.shape, a.dtype))
                b.assign(ops.zeros(b.shape, b.dtype))
