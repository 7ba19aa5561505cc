"""``RemovableHandle``: what every ``register_*_hook`` returns (tensors, nodes, modules, optimizers)."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict


class HookDict(dict):
    """A dict of hooks keyed by handle id (a subclass, so that handles can hold a weak reference to it)."""

    __slots__ = ("__weakref__",)


class OrderedHookDict(OrderedDict):
    """An ordered dict of hooks (modules and optimizers call theirs in order, ``prepend`` puts one first).

    Pickled as a plain OrderedDict, as PyTorch's hook dicts are, so that a whole saved module loads with
    ``weights_only=True`` once its own classes are allowlisted; ``Module.__setstate__`` makes it an
    OrderedHookDict again.
    """

    def __reduce__(self):
        return OrderedDict, (list(self.items()),)

    def __repr__(self):  # printed as PyTorch's: OrderedDict([(0, <hook>)])
        return repr(OrderedDict(self))


class RemovableHandle:
    """``remove()`` unregisters the hook from ``hooks_dict`` (and from each dict in ``extra_dict``); also a
    context manager. The handle holds the dicts weakly: it never keeps a tensor's or module's hooks alive.

    >>> hooks = HookDict()
    >>> h = RemovableHandle(hooks)
    >>> hooks[h.id] = print
    >>> with h:
    ...     len(hooks)
    1
    >>> len(hooks)
    0
    """

    next_id = 0
    _id_lock = threading.Lock()  # handles are made in any thread

    def __init__(self, hooks_dict, *, extra_dict=None):
        with RemovableHandle._id_lock:
            self.id = RemovableHandle.next_id
            RemovableHandle.next_id += 1
        self.hooks_dict_ref = weakref.ref(hooks_dict) if hooks_dict is not None else None
        extras = extra_dict if isinstance(extra_dict, list) else ([extra_dict] if extra_dict is not None else [])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref() if ref is not None else None
            if d is not None:
                d.pop(self.id, None)

    # pickling (a saved module with hooks, e.g. a lazy one): the dicts themselves, references again on load
    def __getstate__(self):
        hooks = self.hooks_dict_ref() if self.hooks_dict_ref is not None else None
        return (hooks, self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        hooks, self.id, extras = state
        with RemovableHandle._id_lock:  # later handles must not reuse a loaded one's id
            RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        self.hooks_dict_ref = weakref.ref(hooks if hooks is not None else HookDict())  # None: the dict died
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, *, prepend=False, flags=()):
    """Register ``hook`` in ``hooks`` (last, or first with ``prepend``) and return its handle; each dict in
    ``flags`` (``with_kwargs`` and the like) marks the hook and forgets it when the handle is removed.

    >>> hooks = OrderedHookDict()
    >>> first, second = add_hook(hooks, "a"), add_hook(hooks, "b", prepend=True)
    >>> list(hooks.values())
    ['b', 'a']
    """
    handle = RemovableHandle(hooks, extra_dict=list(flags))
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle
