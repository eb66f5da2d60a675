"""``python -m toygan``: the same as the ``toygan`` command."""

import sys

from toygan._entry import main

sys.exit(main())
