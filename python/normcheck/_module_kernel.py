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


def module_backward_kernel(module):
    """module as fn(x, gamma, beta, eps) whose gamma and beta are the tensors autograd
    differentiates: the call substitutes them for weight and bias (functional_call), so
    their gradients are dgamma and dbeta, not gradients of the module's own parameters."""
    import torch

    try:
        functional_call = torch.func.functional_call
    except AttributeError:  # torch < 2.0
        from torch.nn.utils.stateless import functional_call
    eps_name = _eps_attribute(module)

    def run(x, gamma, beta, eps):
        setattr(module, eps_name, eps)
        substitutes = {}
        if getattr(module, "weight", None) is not None:
            substitutes["weight"] = gamma
        if getattr(module, "bias", None) is not None:
            substitutes["bias"] = beta if beta is not None else torch.zeros_like(gamma)
        return functional_call(module, substitutes, (x,))

    run.__name__ = type(module).__name__.lower()
    return run
