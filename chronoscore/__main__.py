"""``python -m chronoscore`` runs the command line (also under ``torchrun -m chronoscore``)."""

from chronoscore.cli import main

raise SystemExit(main())
