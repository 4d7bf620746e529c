"""``python -m skhyperdys``: the command line (see :mod:`skhyperdys.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
