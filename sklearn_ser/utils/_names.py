"""Validation of a list of names against a vocabulary, shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Iterable


def check_names(names, known: Iterable[str], *, what: str, param: str,
                error: type[Exception] = ValueError, alternatives: Iterable[str] = ()):
    """Return ``names`` as a list, or raise ``error`` naming ``param`` and the reason.

    Parameters
    ----------
    names : str or iterable of str
        The names given; a single string is one name.
    known : iterable of str
        The vocabulary.
    what : str
        What a name is, singular ("architecture"), for the message.
    param : str
        The parameter or option the names came from ("archs", "--archs").
    error : exception class, default=ValueError
        Raised with the message (the command line passes its user-error type).
    alternatives : iterable of str, default=()
        Other accepted words, listed after the vocabulary in the message ("none").

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from sklearn_ser.utils._names import check_names
    >>> check_names("cnn", ["cnn", "cnn_gru"], what="architecture", param="archs")
    ['cnn']
    >>> check_names(["rnn"], ["cnn"], what="architecture", param="archs")
    Traceback (most recent call last):
    ...
    ValueError: archs: unknown architecture(s) rnn; choose from cnn.
    """
    names = [names] if isinstance(names, str) else list(names)
    known = list(known)
    if not names:
        raise error(f"{param} is empty: name at least one {what}.")
    unknown = [n for n in names if n not in known]
    if unknown:
        choices = ", ".join(known)
        extra = list(alternatives)
        if extra:
            choices += " or " + ", ".join(f"'{a}'" for a in extra)
        raise error(f"{param}: unknown {what}(s) {', '.join(map(str, unknown))}; "
                    f"choose from {choices}.")
    if len(set(names)) != len(names):
        raise error(f"{param} names the same {what} twice: {' '.join(map(str, names))}.")
    return names
