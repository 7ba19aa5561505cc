"""The forward pre-hooks that reparametrize one tensor of a module (``prune``'s methods, the legacy ``weight_norm``
and ``spectral_norm``): finding them by the tensor they act on, and removing one."""

from __future__ import annotations


def hooks_on(module, kind, name, name_attribute="name"):
    """[(key, hook)]: ``module``'s forward pre-hooks that are ``kind``s acting on its tensor ``name`` (the hook's
    ``name_attribute``), in registration order."""
    return [(key, hook) for key, hook in module._forward_pre_hooks.items()
            if isinstance(hook, kind) and getattr(hook, name_attribute) == name]


def remove_hook_on(module, kind, name, not_found, name_attribute="name"):
    """Undo the first ``kind`` hook on ``name`` (its ``remove(module)``) and unregister it; ValueError ``not_found``
    where there is none."""
    found = hooks_on(module, kind, name, name_attribute)
    if not found:
        raise ValueError(not_found)
    key, hook = found[0]
    hook.remove(module)
    del module._forward_pre_hooks[key]
