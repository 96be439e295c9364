"""``python -m demo``: the same as ``gatehouse-demo``."""

import sys

from demo.cli import main

sys.exit(main())
