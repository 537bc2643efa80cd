"""``python -m chronoscore.analyses.claims NAME ...``: the same as ``chronoscore claims NAME ...``."""

import sys

from chronoscore.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["claims", *sys.argv[1:]]))
