"""``python -m flux`` is the ``flux`` command."""

import sys

from flux.cli.main import main

sys.exit(main())
