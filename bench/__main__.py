"""``python -m bench``: the one-command benchmark (see :mod:`bench.run`)."""

import sys

from bench.run import main

sys.exit(main())
