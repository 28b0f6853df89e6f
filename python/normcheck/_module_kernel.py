"""A LayerNorm-like torch.nn.Module as a kernel fn(x, gamma, beta, eps).

The case's gamma, beta and eps replace the module's for each call (its weight, bias and
eps, or variance_epsilon as Hugging Face's RMSNorm names it), so the module is judged on
the generated parameters, not only on its initial ones.
"""

_EPS_ATTRIBUTES = ("eps", "variance_epsilon", "epsilon")


def _eps_attribute(module):
    for name in _EPS_ATTRIBUTES:
        if hasattr(module, name):
            return name
    raise TypeError(f"{type(module).__name__} has none of the attributes {', '.join(_EPS_ATTRIBUTES)}")


def module_kernel(module):
    import torch

    eps_name = _eps_attribute(module)

    def _set(name, value, like_ones, n):
        parameter = getattr(module, name, None)
        if parameter is None:
            if value is not None:
                raise ValueError(f"the case has {name} but {type(module).__name__} has no {name}")
            return
        if value is None:
            value = torch.full((n,), 1.0 if like_ones else 0.0, dtype=parameter.dtype)
        parameter.data = value.to(parameter.device)

    def run(x, gamma, beta, eps):
        _set("weight", gamma, True, x.shape[-1])
        _set("bias", beta, False, x.shape[-1])
        setattr(module, eps_name, eps)
        return module(x)

    run.__name__ = type(module).__name__.lower()
    return run
