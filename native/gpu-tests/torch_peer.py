"""PyTorch peer for the GPU benchmark (run on the GPU machine, where PyTorch is installed).

Same glm architecture as native/src/glm.rs: byte vocab (256), learned positions, pre-norm
blocks (LN → causal attention → residual, LN → 4C GELU(tanh) MLP → residual), final LN,
tied embedding; AdamW (fused), bf16 autocast. Prints one JSON line per measurement.

  python3 torch_peer.py glm '{"layers":12,"heads":12,"width":768,"context":512,"batchSize":16}' [steps]
  python3 torch_peer.py mlp '{"layers":2,"width":256,"batchSize":64,"inputs":64,"outputs":10}' [steps]
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, nh):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.qkv, self.proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.fc, self.fcproj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
        self.nh = nh

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.nh, c // self.nh).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Glm(nn.Module):
    def __init__(self, layers, heads, width, context):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(256, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.lnf = nn.LayerNorm(width)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))
        for blk in self.blocks:
            x = blk(x)
        logits = self.lnf(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.float().view(-1, 256), targets.view(-1))


def bench_glm(cfg, steps):
    dev = "cuda"
    b, t = cfg["batchSize"], cfg["context"]
    out = []
    for mode in ("eager", "compile"):
        torch.manual_seed(0)
        model = Glm(cfg["layers"], cfg["heads"], cfg["width"], t).to(dev)
        params = sum(p.numel() for p in model.parameters())
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1, fused=True)
        fn = torch.compile(model) if mode == "compile" else model
        x = torch.randint(0, 256, (b, t), device=dev)
        y = torch.randint(0, 256, (b, t), device=dev)

        def step():
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = fn(x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)

        for _ in range(5):
            step()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        el = time.perf_counter() - t0
        tps = steps * b * t / el
        flops_per_token = 6 * params + 6 * cfg["layers"] * t * cfg["width"]
        out.append({"peer": f"pytorch {torch.__version__} {mode} bf16", "params": params, "tokens_per_sec": tps, "tflops": tps * flops_per_token / 1e12})
    return out


def bench_mlp(cfg, steps):
    dev = "cuda"
    layers = []
    d = cfg["inputs"]
    for _ in range(cfg["layers"]):
        layers += [nn.Linear(d, cfg["width"]), nn.ReLU()]
        d = cfg["width"]
    layers.append(nn.Linear(d, cfg["outputs"]))
    out = []
    for mode in ("eager", "compile"):
        model = nn.Sequential(*layers).to(dev)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
        fn = torch.compile(model) if mode == "compile" else model
        x = torch.randn(cfg["batchSize"], cfg["inputs"], device=dev)
        y = torch.randint(0, cfg["outputs"], (cfg["batchSize"],), device=dev)

        def step():
            loss = F.cross_entropy(fn(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

        for _ in range(10):
            step()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        out.append({"peer": f"pytorch {torch.__version__} {mode} fp32", "samples_per_sec": steps * cfg["batchSize"] / (time.perf_counter() - t0)})
    return out


if __name__ == "__main__":
    kind, cfg = sys.argv[1], json.loads(sys.argv[2])
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    res = bench_glm(cfg, steps) if kind == "glm" else bench_mlp(cfg, steps)
    for r in res:
        print(json.dumps(r))
    _ = math
