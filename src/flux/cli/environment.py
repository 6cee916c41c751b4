"""A misspelt ``FLUX_*`` variable is reported when a component starts, not silently ignored.

pydantic-settings ignores environment variables it does not know (``extra="ignore"``),
so ``FLUX_BFF_PING_INTERVAL=5`` (missing ``_SECONDS``) would change nothing and say
nothing. :func:`report_unknown_variables` lists every ``FLUX_*`` variable that no
settings class reads, with the closest known name, on stderr.

Known names come from the settings classes themselves (every field of
``Settings``, ``BffSettings``, ``UpstreamConfig``, with their prefixes), so a new
setting is known as soon as it is declared; the few variables read outside a
settings class are listed in :data:`OTHER_VARIABLES`.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Final

from pydantic_settings import BaseSettings

__all__ = ["OTHER_VARIABLES", "known_variables", "report_unknown_variables", "unknown_variables"]

# Read outside a settings class: (variable, who reads it).
OTHER_VARIABLES: Final[dict[str, str]] = {
    "FLUX_ROOT": "flux.paths: where the checked-in assets are",
    "FLUX_REGISTRY_USERS": "flux registry serve: basic-auth users",
    "FLUX_CHAOS_DUMP": "flux chaos: pickle of everything observed",
    "FLUX_CHAOS_UPSTREAMS_PORT": "flux chaos: the fake upstreams' port",
    "FLUX_TEST_REGISTRY_URL": "tests: run the registry API tests against another server",
    "FLUX_FUZZ_EXAMPLES": "tests: schemathesis examples per endpoint",
    "FLUX_APT_UPDATED": "scripts/install-system-deps.sh",
}
PASS_THROUGH_PREFIXES: Final = ("FLUX_KAFKA_OPT_",)


def _settings_classes() -> list[type[BaseSettings]]:
    from flux.bff.config import BffSettings  # noqa: PLC0415 - the CLI is the top layer
    from flux.services.upstream_config import UpstreamConfig  # noqa: PLC0415
    from flux.settings import Settings  # noqa: PLC0415

    return [Settings, BffSettings, UpstreamConfig]


def known_variables(classes: Iterable[type[BaseSettings]] | None = None) -> set[str]:
    """Every ``FLUX_*`` name a settings class or :data:`OTHER_VARIABLES` reads."""
    names = set(OTHER_VARIABLES)
    for cls in classes if classes is not None else _settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        names.update(f"{prefix}{field}".upper() for field in cls.model_fields)
    return names


def unknown_variables(
    environ: Mapping[str, str], known: set[str] | None = None
) -> list[tuple[str, str | None]]:
    """(unknown variable, closest known name or None), sorted by name."""
    known = known if known is not None else known_variables()
    out = []
    for name in sorted(environ):
        if not name.startswith("FLUX_") or name in known or name.startswith(PASS_THROUGH_PREFIXES):
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        out.append((name, close[0] if close else None))
    return out


def report_unknown_variables(environ: Mapping[str, str], stream: IO[str] | None = None) -> int:
    """Write one warning line per unknown ``FLUX_*`` variable; return how many there were."""
    unknown = unknown_variables(environ)
    target = stream or sys.stderr
    for name, close in unknown:
        hint = f"; did you mean {close}?" if close else ""
        target.write(f"flux: warning: {name} is not a Flux setting and is ignored{hint}\n")
    return len(unknown)
