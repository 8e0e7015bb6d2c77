"""A Mamba-2 language model in plain PyTorch for training the embedded model quickly.

Same parameters, names and arithmetic as transformers' Mamba2ForCausalLM (n_groups 1, no MLP
branch), so its state dict loads into that class unchanged and `save_pretrained` writes the
checkpoint Arbor reads. What differs is speed: transformers' PyTorch path (used when the fused
kernels are not installed) builds a (batch, chunks, chunk, chunk, heads, d_state) intermediate in
its chunked scan; here every chunk product is a batched matmul, and decoding for sampling runs
the recurrence one token at a time over a whole batch with forced prompt tokens.

  model = Mamba2LM(config_dict)             # the fields of Mamba2Config used below
  logits, hidden = model(ids)               # hidden: the final hidden state after norm_f
  tokens = model.generate(prompts, ...)     # batched sampling (lists of token ids)

`tests` at the bottom (python3 fastmamba.py) check the chunked scan against the step recurrence.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x, gate=None):
        dtype = x.dtype
        x = x.float()
        if gate is not None:
            x = x * F.silu(gate.float())
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


class Mixer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.n_heads, self.head_dim, self.d_state = c["num_heads"], c["head_dim"], c["state_size"]
        self.d_inner = self.n_heads * self.head_dim
        assert self.d_inner == c["expand"] * d, "num_heads * head_dim must equal expand * hidden"
        assert c.get("n_groups", 1) == 1, "n_groups 1 only"
        self.conv_dim = self.d_inner + 2 * self.d_state
        self.k = c["conv_kernel"]
        self.in_proj = nn.Linear(d, 2 * self.d_inner + 2 * self.d_state + self.n_heads,
                                 bias=c.get("use_bias", False))
        self.conv1d = nn.Conv1d(self.conv_dim, self.conv_dim, self.k, groups=self.conv_dim,
                                padding=self.k - 1, bias=c.get("use_conv_bias", True))
        self.dt_bias = nn.Parameter(torch.ones(self.n_heads))
        self.A_log = nn.Parameter(torch.log(torch.arange(1, self.n_heads + 1, dtype=torch.float)))
        self.D = nn.Parameter(torch.ones(self.n_heads))
        self.norm = RMSNorm(self.d_inner, c["layer_norm_epsilon"])
        self.out_proj = nn.Linear(self.d_inner, d, bias=c.get("use_bias", False))
        self.chunk = 32

    def _split(self, zxbcdt):
        z, xbc, dt = torch.split(zxbcdt, [self.d_inner, self.conv_dim, self.n_heads], dim=-1)
        return z, xbc, dt

    def forward(self, h):
        """h: (b, L, d) -> (b, L, d), the whole sequences from a zero state."""
        b, L, _ = h.shape
        z, xbc, dt = self._split(self.in_proj(h))
        xbc = F.silu(self.conv1d(xbc.transpose(1, 2))[..., :L].transpose(1, 2))
        x, B, C = torch.split(xbc, [self.d_inner, self.d_state, self.d_state], dim=-1)
        dt = F.softplus(dt.float() + self.dt_bias)                       # (b, L, h)
        A = -torch.exp(self.A_log.float())
        y = ssd(x.float().view(b, L, self.n_heads, self.head_dim), dt, A, B.float(), C.float(),
                self.chunk)
        y = y + x.float().view(b, L, self.n_heads, self.head_dim) * self.D.float()[:, None]
        y = self.norm(y.reshape(b, L, self.d_inner).to(h.dtype), z)
        return self.out_proj(y)

    def step(self, h, conv_state, ssm_state):
        """One token for a batch: h (b, d); states updated in place."""
        z, xbc, dt = self._split(self.in_proj(h))
        conv_state.copy_(torch.roll(conv_state, -1, dims=-1))
        conv_state[:, :, -1] = xbc.float()
        xbc = (conv_state * self.conv1d.weight[:, 0, :].float()).sum(-1)
        if self.conv1d.bias is not None:
            xbc = xbc + self.conv1d.bias.float()
        xbc = F.silu(xbc)
        x, B, C = torch.split(xbc, [self.d_inner, self.d_state, self.d_state], dim=-1)
        dt = F.softplus(dt.float() + self.dt_bias)                       # (b, h)
        A = -torch.exp(self.A_log.float())
        x = x.view(-1, self.n_heads, self.head_dim)
        ssm_state.mul_(torch.exp(dt * A)[:, :, None, None])
        ssm_state.add_((x * dt[..., None])[..., None] * B[:, None, None, :])
        y = (ssm_state @ C[:, None, :, None]).squeeze(-1) + x * self.D.float()[:, None]
        y = self.norm(y.reshape(-1, self.d_inner).to(h.dtype), z)
        return self.out_proj(y)


def ssd(x, dt, A, B, C, chunk):
    """The Mamba-2 scan h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t^T, y_t = h_t C_t from h_0 = 0,
    computed chunk by chunk with matmuls. x (b, L, h, p), dt (b, L, h), A (h), B and C (b, L, n).
    Returns y (b, L, h, p)."""
    b, L, nh, p = x.shape
    n = B.shape[-1]
    Lp = (L + chunk - 1) // chunk * chunk
    if Lp != L:  # padding steps with dt = 0 leave the state alone and are cut from the output
        pad = Lp - L
        x = F.pad(x, (0, 0, 0, 0, 0, pad))
        dt = F.pad(dt, (0, 0, 0, pad))
        B = F.pad(B, (0, 0, 0, pad))
        C = F.pad(C, (0, 0, 0, pad))
    c = Lp // chunk
    a = (dt * A).view(b, c, chunk, nh).permute(0, 3, 1, 2)                 # (b, h, c, Q)
    acum = torch.cumsum(a, dim=-1)
    xdt = (x * dt[..., None]).view(b, c, chunk, nh, p).permute(0, 3, 1, 2, 4)  # (b, h, c, Q, p)
    Bc = B.view(b, c, chunk, n)
    Cc = C.view(b, c, chunk, n)
    # within a chunk: y_i += sum_{j<=i} (C_i . B_j) exp(acum_i - acum_j) xdt_j
    seg = acum[..., :, None] - acum[..., None, :]                           # (b, h, c, Q, Q)
    causal = torch.ones(chunk, chunk, dtype=torch.bool, device=x.device).tril()
    decay = torch.exp(seg.masked_fill(~causal, float("-inf")))
    cb = (Cc @ Bc.transpose(-1, -2))[:, None]                               # (b, 1, c, Q, Q)
    y = (cb * decay) @ xdt                                                  # (b, h, c, Q, p)
    # each chunk's contribution to the state at its end: sum_j exp(acum_end - acum_j) xdt_j B_j^T
    to_end = torch.exp(acum[..., -1:] - acum)                               # (b, h, c, Q)
    states = (xdt * to_end[..., None]).transpose(-1, -2) @ Bc[:, None]     # (b, h, c, p, n)
    # carry the state across chunks (few chunks: a loop)
    chunk_decay = torch.exp(acum[..., -1])                                  # (b, h, c)
    s = torch.zeros(b, nh, p, n, dtype=x.dtype, device=x.device)
    before = []
    for k in range(c):
        before.append(s)
        s = s * chunk_decay[:, :, k, None, None] + states[:, :, k]
    before = torch.stack(before, dim=2)                                     # (b, h, c, p, n)
    # the incoming state's contribution: y_i += exp(acum_i) (S_in C_i)
    y = y + (Cc[:, None] @ before.transpose(-1, -2)) * torch.exp(acum)[..., None]
    y = y.permute(0, 2, 3, 1, 4).reshape(b, Lp, nh, p)
    return y[:, :L]


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = RMSNorm(c["hidden_size"], c["layer_norm_epsilon"])
        self.mixer = Mixer(c)


class Backbone(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([Block(c) for _ in range(c["num_hidden_layers"])])
        self.norm_f = RMSNorm(c["hidden_size"], c["layer_norm_epsilon"])


class Mamba2LM(nn.Module):
    """Parameter names match transformers' Mamba2ForCausalLM (lm_head tied to the embeddings)."""

    def __init__(self, c):
        super().__init__()
        self.config = dict(c)
        self.backbone = Backbone(c)
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.lm_head.weight = self.backbone.embeddings.weight

    def forward(self, ids):
        """ids (b, L) -> logits (b, L, V) and the final hidden states (b, L, d) after norm_f."""
        h = self.backbone.embeddings(ids)
        residual = h.float()
        for layer in self.backbone.layers:
            out = layer.mixer(layer.norm(residual.to(h.dtype)))
            residual = residual + out.float()
        hidden = self.backbone.norm_f(residual.to(h.dtype))
        return self.lm_head(hidden), hidden

    @torch.no_grad()
    def generate(self, prompts, max_new, temperature, eos, seed=0, batch=4096, head=None):
        """Completions (token lists, without eos) of `prompts` (token lists). Prompts are fed one
        token per step alongside other sequences' generated tokens (forced), so prompts of any
        length share one batch. temperature 0: greedy."""
        outs = []
        gen = torch.Generator(device=self.lm_head.weight.device).manual_seed(seed)
        for s in range(0, len(prompts), batch):
            outs += self._generate(prompts[s:s + batch], max_new, temperature, eos, gen)
        return outs

    def _generate(self, prompts, max_new, temperature, eos, gen):
        dev = self.lm_head.weight.device
        n = len(prompts)
        lens = torch.tensor([len(p) for p in prompts], device=dev)
        T = int(lens.max()) + max_new
        forced = torch.zeros(n, T, dtype=torch.long, device=dev)
        for i, p in enumerate(prompts):
            forced[i, :len(p)] = torch.tensor(p, device=dev)
        states = []
        for layer in self.backbone.layers:
            m = layer.mixer
            states.append((torch.zeros(n, m.conv_dim, m.k, device=dev),
                           torch.zeros(n, m.n_heads, m.head_dim, m.d_state, device=dev)))
        out = torch.full((n, T), -1, dtype=torch.long, device=dev)
        done = torch.zeros(n, dtype=torch.bool, device=dev)
        budget_end = lens + max_new  # each sequence generates at most max_new tokens
        tok = forced[:, 0]
        for t in range(T - 1):
            h = self.backbone.embeddings(tok)
            residual = h.float()
            for layer, (cs, ss) in zip(self.backbone.layers, states):
                residual = residual + layer.mixer.step(layer.norm(residual.to(h.dtype)), cs, ss).float()
            logits = self.lm_head(self.backbone.norm_f(residual.to(h.dtype))).float()
            if temperature > 0:
                probs = torch.softmax(logits / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=gen).squeeze(-1)
            else:
                nxt = logits.argmax(-1)
            in_prompt = (t + 1) < lens
            nxt = torch.where(in_prompt, forced[:, t + 1], nxt)
            gen_now = ~in_prompt & ~done
            out[:, t + 1] = torch.where(gen_now, nxt, torch.full_like(nxt, -1))
            done = done | (gen_now & (nxt == eos)) | (t + 2 >= budget_end)
            if bool(done.all()):
                break
            tok = nxt
        res = []
        cpu = out.cpu().tolist()
        for i in range(n):
            seq = [x for x in cpu[i] if x >= 0]
            if eos in seq:
                seq = seq[:seq.index(eos)]
            res.append(seq)
        return res


def _test():
    torch.manual_seed(0)
    c = dict(vocab_size=50, hidden_size=32, num_hidden_layers=2, state_size=8, expand=2,
             head_dim=16, num_heads=4, n_groups=1, conv_kernel=4, layer_norm_epsilon=1e-5)
    m = Mamba2LM(c)
    for mod in m.modules():
        if isinstance(mod, Mixer):
            mod.dt_bias.data.uniform_(-3, 0)
            mod.chunk = 4
    ids = torch.randint(0, 50, (3, 11))
    logits, _ = m(ids)
    # the step recurrence over the same tokens
    states = [(torch.zeros(3, l.mixer.conv_dim, l.mixer.k), torch.zeros(3, 4, 16, 8))
              for l in m.backbone.layers]
    for t in range(11):
        h = m.backbone.embeddings(ids[:, t])
        r = h.float()
        for layer, (cs, ss) in zip(m.backbone.layers, states):
            r = r + layer.mixer.step(layer.norm(r), cs, ss)
        lt = m.lm_head(m.backbone.norm_f(r))
        err = (lt - logits[:, t]).abs().max().item()
        assert err < 1e-4, (t, err)
    print("chunked scan == step recurrence: ok")
    # greedy generation with prompts of several lengths in one batch == argmax of the forward
    prompts = [[1, 2, 3], [4, 5, 6, 7, 8, 9], [10]]
    outs = m.generate(prompts, 6, 0.0, eos=-5)
    for p, o in zip(prompts, outs):
        assert len(o) == 6, o
        seq = list(p)
        for t in o:
            want = m(torch.tensor([seq]))[0][0, -1].argmax().item()
            assert want == t, (p, o, want)
            seq.append(t)
    print("batched generation == forward argmax: ok")


if __name__ == "__main__":
    _test()
