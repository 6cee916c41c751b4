"""Flux code generator: schemas/ → typed Python contracts in src/flux/contracts/generated/.

Run ``python -m codegen`` to regenerate and ``python -m codegen --check`` (CI) to fail when the
checked-in code is out of date with the schemas.
"""

from codegen.generate import GENERATED_DIR, generate_all

__all__ = ["GENERATED_DIR", "generate_all"]
