"""Helpers every layer shares, none of them about emotion or audio.

:mod:`sklearn_ser.utils.progress` writes progress a person can read on a terminal and in a
log alike (:class:`~sklearn_ser.utils.progress.Progress`); the private modules check lists
of names against a vocabulary (``_names``) and fill shared docstring sections
(``_docstrings``). Importing this package imports none of them: the front end's joblib
workers import ``_docstrings`` only.
"""
