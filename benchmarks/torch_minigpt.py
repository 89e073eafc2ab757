"""Plain-PyTorch twins of `keraseq.models.MiniGPT` and `RecurrentLM("lstm")`: same recipe, batches.

Same architecture (token + position embeddings, pre-norm blocks with biased Q/K/V/output projections
and a GELU MLP, final LayerNorm, head tied to the token embedding, N(0, 0.02) initialization), same
optimizer (AdamW, beta2 0.99, eps 1e-8, weight decay on matrices only, global-norm clipping), the
same learning rate at every step (Keras's `CosineDecay` with linear warm-up, written out) and the
same batches (`keraseq.data.WindowBatches`, a NumPy function of the step). Eager PyTorch, as
nanoGPT's CPU recipe (`--compile=False`). The LSTM twin is `nn.Embedding`, `torch.nn.LSTM` (its
fused kernel, all layers in one module) and `nn.Linear`, the layout of `RecurrentLM`;
`twin(config, vocab, loop=True)` replaces `torch.nn.LSTM` by the same equations in a Python loop
over time (`LoopLSTM`), the fastest of the eager PyTorch loops measured: a bound for keraseq's loop
on the torch backend, not a proof about every loop.

Usage (normally called by `minigpt_shakespeare.py`):

    python benchmarks/torch_minigpt.py --steps 2000 --out benchmarks/results/runs/torch-twin
    python benchmarks/torch_minigpt.py --model lstm --lr 3e-3 --min-lr 3e-4 --weight-decay 0 ...

writes `OUT/metrics.csv` in the format of `keraseq train`.
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, d, heads, inner):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, inner), nn.Linear(inner, d)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)  # (B, T, C) each
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, heads, T, C / heads)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))  # (B, T, C)


class TorchMiniGPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, d):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads, 4 * d) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))  # (B, T, d)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T  # (B, T, vocab), tied head


class TorchLSTMLM(nn.Module):
    def __init__(self, vocab, d, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        self.lstm = nn.LSTM(d, d, num_layers=layers, batch_first=True)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx):
        return self.head(self.lstm(self.embedding(idx))[0])  # (B, T, vocab)


class LoopLSTM(nn.Module):
    """One LSTM layer as a Python loop over time, `nn.LSTM`'s weights and gate order (i, f, g, o).

    The input projection $W_x x_t + b$ of every step is one product before the loop, and
    `torch.unbind` hands out the steps (its gradient is one stack, where indexing each step would
    allocate a full-size gradient per step): the fastest of the loops measured. Returns every
    $h_t$ `(B, T, d)`, or with `return_sequences=False` the last one `(B, d)`, as Keras's layers.
    """

    def __init__(self, d_in, d, return_sequences=True):
        super().__init__()
        self.d, self.return_sequences = d, return_sequences
        bound = 1 / math.sqrt(d)  # nn.LSTM's initialization
        self.W_x = nn.Parameter(torch.empty(d_in, 4 * d).uniform_(-bound, bound))
        self.W_h = nn.Parameter(torch.empty(d, 4 * d).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(4 * d).uniform_(-bound, bound))

    def forward(self, x):  # (B, T, d_in)
        h = c = x.new_zeros(x.shape[0], self.d)  # (B, d)
        outputs = []
        for xw_t in torch.unbind(x @ self.W_x + self.b, 1):  # T steps of (B, 4d)
            z_i, z_f, z_g, z_o = (xw_t + h @ self.W_h).split(self.d, -1)
            c = torch.sigmoid(z_f) * c + torch.sigmoid(z_i) * torch.tanh(z_g)
            h = torch.sigmoid(z_o) * torch.tanh(c)
            if self.return_sequences:
                outputs.append(h)
        return torch.stack(outputs, 1) if self.return_sequences else h  # (B, T, d) or (B, d)


class LoopLSTMLM(nn.Module):
    def __init__(self, vocab, d, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([LoopLSTM(d, d) for _ in range(layers)])
        self.head = nn.Linear(d, vocab)

    def forward(self, idx):
        x = self.embedding(idx)  # (B, T, d)
        for layer in self.layers:
            x = layer(x)
        return self.head(x)  # (B, T, vocab)


def twin(config, vocab, loop=False):
    """The twin of `build_model(config, vocab)` and its AdamW (weight decay on matrices only);
    `loop=True`: the LSTM LM with `LoopLSTM` layers instead of `torch.nn.LSTM`."""
    if config.model == "transformer":
        model = TorchMiniGPT(
            vocab, config.sequence_length, config.num_layers, config.num_heads, config.hidden_dim
        )
    elif loop:
        model = LoopLSTMLM(vocab, config.hidden_dim, config.num_layers)
    else:
        model = TorchLSTMLM(vocab, config.hidden_dim, config.num_layers)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=config.learning_rate,
        betas=(0.9, config.beta_2),
        eps=1e-8,
    )
    return model, optimizer


def loss_of(model, x, y):
    # as_tensor (not from_numpy) lands on torch's default device: the GPU where harness set it
    logits = model(torch.as_tensor(x, dtype=torch.long))  # (B, T, vocab)
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), torch.as_tensor(y, dtype=torch.long).reshape(-1)
    )


def train_step(model, optimizer, batch, clip_norm):
    """One step of the recipe on a batch `(x, y)` of NumPy ids; returns the loss tensor."""
    loss = loss_of(model, *batch)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return loss


def learning_rate(step, c):
    """Keras's CosineDecay(initial 0, warmup_target, warmup_steps, decay_steps, alpha) at `step`."""
    if step < c.warmup_steps:
        return c.learning_rate * step / c.warmup_steps
    done = min(step - c.warmup_steps, c.decay_steps - c.warmup_steps) / (
        c.decay_steps - c.warmup_steps
    )
    alpha = c.min_learning_rate / c.learning_rate
    return c.learning_rate * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * done)) + alpha)


def train(config, directory, threads=None):
    from keraseq.data import CharTokenizer, WindowBatches, load_corpus, train_validation_split

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(config.seed)
    text = load_corpus(config.corpus)
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_validation_split(tokenizer.tokenize(text))
    B, T = config.batch_size, config.sequence_length
    batches = WindowBatches(train_ids, B, T, config.steps, seed=config.seed)
    val_batches = WindowBatches(val_ids, B, T, config.eval_batches, seed=config.seed)
    model, optimizer = twin(config, tokenizer.vocabulary_size())

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rows = ["step,train_loss,val_loss,tokens_per_second"]
    losses, started = [], time.perf_counter()
    for step in range(config.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        losses.append(train_step(model, optimizer, batches[step], config.global_clipnorm).item())
        if (step + 1) % config.eval_interval == 0:
            speed = config.eval_interval * B * T / (time.perf_counter() - started)
            with torch.no_grad():
                model.eval()
                val = np.mean([loss_of(model, *b).item() for b in val_batches])
                model.train()
            rows.append(f"{step + 1},{np.mean(losses):.6f},{val:.6f},{speed:.1f}")
            print(rows[-1], flush=True)
            losses, started = [], time.perf_counter()
    (directory / "metrics.csv").write_text("\n".join(rows) + "\n")


def main():
    from keraseq.training import TrainConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transformer", choices=["transformer", "lstm"])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--min-lr", type=float, default=1e-4)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--corpus", default="shakespeare")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    config = TrainConfig(
        model=args.model,
        corpus=args.corpus,
        steps=args.steps,
        learning_rate=args.lr,
        min_learning_rate=args.min_lr,
        weight_decay=args.weight_decay,
    ).resolved()
    train(config, args.out, args.threads)


if __name__ == "__main__":
    main()
