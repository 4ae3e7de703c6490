"""Forward + backward of the attention core (eq. 6-7) alone, in PyTorch, on the CPU:
the fused kernel in fp32 (what the model runs) and in bf16, bf16 with d_k padded from
30 to 32, written out in bf16, and bf16 products with an fp32 masked softmax.
Prints a Markdown table (BENCHMARKS.md, "bf16 on an Intel Xeon with AMX").

    .venv/bin/python scripts/attention_core_bench.py [threads]
"""
import sys
import time

import torch
import torch.nn.functional as F

HEADS, D_K = 8, 30
SCALE = D_K ** -0.5


def fused_fp32(q, k, v, mask):
    out = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask)
    return out.to(q.dtype)


def fused(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def padded(q, k, v, mask):
    pad = lambda t: F.pad(t, (0, 2))
    return F.scaled_dot_product_attention(pad(q), pad(k), pad(v), attn_mask=mask, scale=SCALE)[..., :D_K]


def written_out(q, k, v, mask):
    scores = (q @ k.transpose(-1, -2) * SCALE).masked_fill(~mask, float("-inf"))
    return scores.softmax(-1, dtype=torch.float32).to(q.dtype) @ v


def fp32_softmax(q, k, v, mask):
    # The mask as an additive fp32 bias (0 or −∞ per key), not masked_fill:
    # its backward is then a plain pass-through.
    bias = torch.zeros(mask.shape).masked_fill(~mask, float("-inf"))
    scores = (q @ k.transpose(-1, -2)).float() * SCALE + bias
    return scores.softmax(-1).to(q.dtype) @ v


def milliseconds(core, batch, length, reps=10):
    g = torch.Generator().manual_seed(0)
    q, k, v = [torch.randn(batch, HEADS, length, D_K, generator=g).bfloat16().requires_grad_() for _ in range(3)]
    lengths = torch.randint(length // 2, length + 1, (batch,), generator=g)
    lengths[0] = length
    mask = (torch.arange(length)[None, :] < lengths[:, None]).view(batch, 1, 1, length)
    upstream = torch.randn(batch, HEADS, length, D_K, generator=g).bfloat16()
    for _ in range(2):
        core(q, k, v, mask).backward(upstream)
    start = time.perf_counter()
    for _ in range(reps):
        core(q, k, v, mask).backward(upstream)
    return (time.perf_counter() - start) / reps * 1e3


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    cores = [fused_fp32, fused, padded, written_out, fp32_softmax]
    print("| batch × length | fused fp32 (the model's) | fused bf16 | fused bf16, d_k padded to 32 "
          "| written out bf16 | bf16 products, fp32 softmax |")
    print("|---|---:|---:|---:|---:|---:|")
    for batch, length in [(20, 55), (64, 55), (64, 120), (20, 250), (64, 250)]:
        cells = " | ".join(f"{milliseconds(c, batch, length):.1f} ms" for c in cores)
        print(f"| {batch} × {length} | {cells} |")


if __name__ == "__main__":
    main()
