"""``python -m sklearn_ser``: the ``sklearn-ser`` command line."""

from .cli import main

raise SystemExit(main())
