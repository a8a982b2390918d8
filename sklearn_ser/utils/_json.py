"""Python values as JSON data: the one conversion of the report files and the checkpoints."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["json_data"]


def json_data(value, *, finite=False, other=None):
    """``value`` as JSON data: dicts with string keys, lists, numbers, strings, None.

    Mappings and sequences are converted item by item, NumPy arrays and scalars become Python
    values, paths strings and ``pd.NA`` None.

    Parameters
    ----------
    value : object
        What to convert.
    finite : bool, default=False
        NaN and infinities become None, as strict JSON needs (a report read by other tools);
        otherwise they stay floats (Python's ``json`` writes them as ``NaN``).
    other : callable or None, default=None
        Applied to any other value (an estimator, a class...); None keeps it as it is.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ser.utils._json import json_data
    >>> json_data({1: np.arange(2), "x": (np.float32(0.5), float("nan"))}, finite=True)
    {'1': [0, 1], 'x': [0.5, None]}
    """
    if isinstance(value, Mapping):
        return {str(k): json_data(v, finite=finite, other=other) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_data(v, finite=finite, other=other) for v in value]
    if isinstance(value, np.ndarray):
        return json_data(value.tolist(), finite=finite, other=other)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if finite and not math.isfinite(value) else value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if value is pd.NA:
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value if other is None else other(value)
