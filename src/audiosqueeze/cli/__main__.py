"""``python -m audiosqueeze.cli``: the same as the ``audiosqueeze`` command."""

import sys

from . import main

sys.exit(main())
