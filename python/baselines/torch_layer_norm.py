"""PyTorch's own `torch.nn.functional.layer_norm` as report baselines (scripts/report.sh
adds them to the main job's report when torch imports): real kernels judged beside the
built-ins and oneDNN, their findings shown. On the CPU, torch computes f32 and bf16 rows in
float (bf16 in, bf16 out, float accumulation) and f64 rows in double.

    normcheck report --python python/baselines/torch_layer_norm.py:F32 --out DIR
"""

import torch.nn.functional as F

import normcheck


def layer_norm(x, gamma, beta, eps):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)


F32 = normcheck.KernelSpec(layer_norm, x_dtype="f32", compute="f32", name="torch.layer_norm.f32")
F64 = normcheck.KernelSpec(layer_norm, x_dtype="f64", compute="f64", name="torch.layer_norm.f64")
BF16 = normcheck.KernelSpec(layer_norm, x_dtype="bf16", compute="f32", name="torch.layer_norm.bf16")
