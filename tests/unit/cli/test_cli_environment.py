"""Misspelt FLUX_* variables are reported at start with the closest real name."""

from __future__ import annotations

import io
import subprocess
import sys

from flux.cli.environment import known_variables, report_unknown_variables, unknown_variables


def test_every_settings_field_and_documented_extra_is_known() -> None:
    known = known_variables()
    for name in (
        "FLUX_KAFKA_BOOTSTRAP",
        "FLUX_REGISTRY_URL",
        "FLUX_BFF_PING_INTERVAL_SECONDS",
        "FLUX_STOCKS_API_KEY",
        "FLUX_ROOT",
        "FLUX_REGISTRY_USERS",
    ):
        assert name in known


def test_misspelt_names_are_reported_with_a_suggestion_and_others_pass() -> None:
    environ = {
        "FLUX_BFF_PING_INTERVAL": "5",  # missing _SECONDS
        "FLUX_REGISTY_URL": "http://x",  # typo
        "FLUX_TOTALLY_NEW": "1",
        "FLUX_KAFKA_OPT_SASL_MECHANISM": "PLAIN",  # passed through to librdkafka
        "FLUX_KAFKA_BOOTSTRAP": "b:9092",
        "PATH": "/usr/bin",
    }
    assert unknown_variables(environ) == [
        ("FLUX_BFF_PING_INTERVAL", "FLUX_BFF_PING_INTERVAL_SECONDS"),
        ("FLUX_REGISTY_URL", "FLUX_REGISTRY_URL"),
        ("FLUX_TOTALLY_NEW", None),
    ]
    out = io.StringIO()
    assert report_unknown_variables(environ, out) == 3
    assert (
        "FLUX_REGISTY_URL is not a Flux setting and is ignored; did you mean FLUX_REGISTRY_URL?"
        in out.getvalue()
    )


def test_the_flux_command_warns_on_stderr_at_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flux", "schemas", "check"],
        env={"FLUX_LOG_LEVL": "DEBUG", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "FLUX_LOG_LEVL is not a Flux setting" in done.stderr
    assert "did you mean FLUX_LOG_LEVEL?" in done.stderr
