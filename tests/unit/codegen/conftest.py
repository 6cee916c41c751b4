"""Make the repository-root ``codegen`` package importable however pytest is started."""

from __future__ import annotations

import sys

from flux.paths import project_root

if str(project_root()) not in sys.path:
    sys.path.insert(0, str(project_root()))
