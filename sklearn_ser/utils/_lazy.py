"""A package's public names imported on first use (PEP 562 module ``__getattr__``)."""

from __future__ import annotations

import importlib

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, names: dict, namespace: dict):
    """``__getattr__`` and ``__dir__`` for a package whose names import slow modules.

    TensorFlow takes seconds to import and the optional extras may be missing, so a package
    names each public object's module instead of importing it; the module is imported the
    first time the name is read.

    Parameters
    ----------
    package : str
        The package's ``__name__``: the anchor of the relative module names.
    names : dict of str to str
        Public name -> relative module that defines it (``".classifier"``).
    namespace : dict
        The package's ``globals()``, listed by ``dir()`` with ``names``.

    Returns
    -------
    getattr, dir : callable
        To bind as the package's ``__getattr__`` and ``__dir__``.

    Examples
    --------
    >>> from sklearn_ser.utils._lazy import lazy_attributes
    >>> getattr_, dir_ = lazy_attributes("sklearn_ser", {"TOP_DB": ".defaults"}, {})
    >>> getattr_("TOP_DB")
    30.0
    >>> dir_()
    ['TOP_DB']
    """

    def __getattr__(name):
        if name in names:
            return getattr(importlib.import_module(names[name], package), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
