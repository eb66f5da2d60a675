"""``python -m toygan`` runs the ``toygan`` command."""

import sys

from toygan.cli import main

sys.exit(main())
