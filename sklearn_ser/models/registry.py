"""The architecture registry: name -> builder, and how a builder's hyperparameters are read."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType

from . import architectures

__all__ = ["ARCHITECTURES", "HYPERPARAMETERS", "builder_hyperparameters", "get_builder"]

#: Built-in architectures, name -> builder ``(input_shape, n_classes, **hyperparameters)``.
#: The names are :data:`sklearn_ser.defaults.ARCHITECTURE_NAMES` (which the TensorFlow-free
#: command line reads), in that order; the tests check that the two agree.
ARCHITECTURES: Mapping[str, Callable] = MappingProxyType({
    "cnn_bilstm_bigru_attention": architectures.build_cnn_bilstm_bigru_attention,
    "cnn": architectures.build_cnn,
    "cnn_bilstm": architectures.build_cnn_bilstm,
    "cnn_gru": architectures.build_cnn_gru,
    "cnn_mha_bilstm_bigru": architectures.build_cnn_mha_bilstm_bigru,
})


def builder_hyperparameters(builder: Callable) -> tuple[frozenset, bool]:
    """Names of the hyperparameters ``builder`` takes, and whether it takes ``**kwargs``.

    The first two positional parameters (``input_shape`` and ``n_classes``) are not
    hyperparameters.

    Examples
    --------
    >>> from sklearn_ser.models import builder_hyperparameters, build_cnn_gru
    >>> names, takes_any = builder_hyperparameters(build_cnn_gru)
    >>> print(*sorted(names))
    bidirectional dense_units dropout filters kernel_size pool_size pooling units
    """
    params = list(inspect.signature(builder).parameters.values())
    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2 and not any(p.kind == p.VAR_POSITIONAL for p in params):
        raise TypeError(
            f"Architecture builder {getattr(builder, '__name__', builder)!r} must take "
            "(input_shape, n_classes, **hyperparameters); its signature is "
            f"{inspect.signature(builder)}."
        )
    skip = {p.name for p in positional[:2]}
    names = frozenset(
        p.name for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in skip
    )
    takes_any = any(p.kind == p.VAR_KEYWORD for p in params)
    return names, takes_any


#: Every hyperparameter some built-in architecture takes (the shared vocabulary).
HYPERPARAMETERS: frozenset = frozenset().union(
    *(builder_hyperparameters(b)[0] for b in ARCHITECTURES.values())
)


def get_builder(arch) -> Callable:
    """The builder for ``arch``: a registered name, or a callable returned unchanged.

    Parameters
    ----------
    arch : str or callable
        A key of :data:`ARCHITECTURES`, or a builder
        ``(input_shape, n_classes, **hyperparameters) -> keras.Model``.

    Returns
    -------
    builder : callable

    Raises
    ------
    ValueError
        If ``arch`` is a string that names no registered architecture.
    TypeError
        If ``arch`` is neither a string nor a callable.

    Examples
    --------
    >>> from sklearn_ser.models import get_builder
    >>> get_builder("cnn").__name__
    'build_cnn'
    """
    if isinstance(arch, str):
        try:
            return ARCHITECTURES[arch]
        except KeyError:
            raise ValueError(
                f"Unknown architecture {arch!r}; choose one of {sorted(ARCHITECTURES)} or pass "
                "a callable (input_shape, n_classes, **hyperparameters) -> keras.Model."
            ) from None
    if callable(arch):
        return arch
    raise TypeError(
        f"arch must be an architecture name or a callable builder, got {type(arch).__name__}."
    )
