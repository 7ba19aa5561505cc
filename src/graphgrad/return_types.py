"""PyTorch's named result tuples (``torch.return_types``): ``x.max(0)`` is a ``return_types.max`` with
``.values`` and ``.indices``, that unpacks and indexes as a tuple and prints as PyTorch prints it."""

from __future__ import annotations


class _ReturnType(tuple):
    """A tuple with named fields, as PyTorch's structseq: ``type(r)(sequence)`` builds one."""

    __slots__ = ()
    _fields: tuple = ()

    def __new__(cls, sequence=()):
        items = tuple(sequence)
        if len(items) != len(cls._fields):
            raise TypeError(f"{cls.__module__}.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(items)}-sequence given)")
        return tuple.__new__(cls, items)

    @property
    def n_fields(self):
        return len(self._fields)

    @property
    def n_sequence_fields(self):
        return len(self._fields)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{type(self).__module__}.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (tuple(self),)


def _field(i):
    return property(lambda self: tuple.__getitem__(self, i))


def _return_type(name, fields=("values", "indices")):
    attrs = {"__slots__": (), "_fields": fields, "__module__": __name__, "__qualname__": name}
    attrs.update({f: _field(i) for i, f in enumerate(fields)})
    cls = type(name, (_ReturnType,), attrs)
    globals()[name] = cls
    return cls


for _name in ("max", "min", "sort", "topk", "kthvalue", "mode", "median", "nanmedian", "cummax", "cummin"):
    _return_type(_name)
_return_type("aminmax", ("min", "max"))
for _name, _fields in (("slogdet", ("sign", "logabsdet")), ("linalg_slogdet", ("sign", "logabsdet")),
                       ("linalg_cholesky_ex", ("L", "info")), ("qr", ("Q", "R")), ("linalg_qr", ("Q", "R")),
                       ("svd", ("U", "S", "V")), ("linalg_svd", ("U", "S", "Vh")),
                       ("linalg_eigh", ("eigenvalues", "eigenvectors")), ("linalg_inv_ex", ("inverse", "info")),
                       ("linalg_solve_ex", ("result", "info")), ("linalg_lu_factor", ("LU", "pivots")),
                       ("linalg_lu_factor_ex", ("LU", "pivots", "info")), ("linalg_lu", ("P", "L", "U")),
                       ("lu_unpack", ("P", "L", "U")), ("_lu_with_info", ("LU", "pivots", "info")),
                       ("linalg_lstsq", ("solution", "residuals", "rank", "singular_values")),
                       ("geqrf", ("a", "tau"))):
    _return_type(_name, _fields)
del _name, _fields
