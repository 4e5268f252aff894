"""``python -m eegzoo``: the command line."""

from eegzoo.apps.cli import main

raise SystemExit(main())
