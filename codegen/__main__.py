"""``python -m codegen [--check]``: regenerate src/flux/contracts/generated, or verify it is current."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from codegen.generate import GENERATED_DIR, check_tree, write_tree

__all__ = ["main"]

LOG = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when generated code is out of date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.check:
        problems = check_tree()
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print(
                f"generated code is out of date: run `make codegen` and commit {GENERATED_DIR}",
                file=sys.stderr,
            )
            return 1
        print(f"{GENERATED_DIR} is up to date")
        return 0
    changed = write_tree()
    for name in changed:
        print(f"wrote {GENERATED_DIR / name}")
    print(f"{len(changed)} file(s) changed in {GENERATED_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
