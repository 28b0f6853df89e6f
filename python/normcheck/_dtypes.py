"""The ABI's dtype and op names and codes (docs/abi.md), and their torch / NumPy types."""

import numpy as np

# normcheck_dtype and normcheck_op values of impls/include/normcheck/kernel_abi.h.
DTYPE_CODES = {"f16": 1, "bf16": 2, "f32": 3, "f64": 4}
OP_CODES = {"layernorm": 1, "rmsnorm": 2}

# NumPy's type for each dtype; NumPy has no bfloat16 (its bits travel as uint16).
NUMPY_TYPES = {"f16": np.float16, "bf16": None, "f32": np.float32, "f64": np.float64}


def dtype_code(name, what):
    if name not in DTYPE_CODES:
        raise ValueError(f"{what}={name!r}: expected one of {', '.join(DTYPE_CODES)}")
    return DTYPE_CODES[name]


def op_code(name):
    if name not in OP_CODES:
        raise ValueError(f"op={name!r}: expected one of {', '.join(OP_CODES)}")
    return OP_CODES[name]


def torch_type(name):
    import torch

    return {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64}[name]
