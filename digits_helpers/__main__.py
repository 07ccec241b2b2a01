"""``python -m digits_helpers`` is the ``digits-book`` command."""

import sys

from digits_helpers.cli import main

sys.exit(main())
