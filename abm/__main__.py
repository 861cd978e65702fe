"""Entry point for ``python -m abm``."""

from abm.cli import main

raise SystemExit(main())
