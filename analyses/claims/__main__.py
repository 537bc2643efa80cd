"""``python -m chronoscore.analyses.claims``: see :mod:`chronoscore.analyses.claims.command`."""

from chronoscore.analyses.claims.command import main

if __name__ == "__main__":
    raise SystemExit(main())
