"""The ``flux`` command line: --version, argument errors (exit 2), unknown names (exit 3), unreachable
servers (exit 4), one-line errors, and a parser that stays cheap to build."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest

from flux.catalogue import TopicKind, load_catalogue
from flux.cli import kafka_read
from flux.cli.main import build_parser, main
from flux.devstack.ports import free_port


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    return int(exc.value.code or 0)


def test_version_prints_the_installed_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out == f"flux {version('flux')}\n"


def test_help_lists_the_new_groups_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["--help"]) == 0
    out = capsys.readouterr().out
    for group in ("topics", "dlq", "registry"):
        assert group in out
    assert "3 not found, 4 unavailable" in out


def test_building_the_parser_imports_no_command_implementation() -> None:
    code = (
        "import sys; from flux.cli.main import build_parser; build_parser(); "
        "print(' '.join(m for m in ('flux.cli.tail', 'flux.cli.decoding', 'flux.cli.dlq_commands', "
        "'flux.cli.replay', 'flux.cli.registry_inspect', 'flux.cli.registry_client', "
        "'flux.devstack.stack', 'flux.schema_tools.gate') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["topics", "tail"],
        ["topics", "tail", "x", "--max", "0"],
        ["topics", "tail", "x", "--max", "two"],
        ["topics", "tail", "x", "--timeout", "-1"],
        ["topics", "tail", "x", "--timeout", "nan"],
        ["dlq"],
        ["dlq", "show"],
        ["dlq", "replay", "x", "--max", "-3"],
        ["registry", "show"],
        ["registry", "show", "s", "abc"],
        ["registry", "show", "s", "0"],
        ["registry", "diff", "s", "1"],
        ["registry", "subjects", "--bogus"],
    ],
)
def test_bad_command_lines_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(argv) == 2
    assert "error:" in capsys.readouterr().err


def test_parsed_arguments_and_defaults() -> None:
    parser = build_parser()
    tail = parser.parse_args(
        ["topics", "tail", "t", "--from-beginning", "--json", "--max", "5", "--timeout", "2.5"]
    )
    assert (tail.topic, tail.from_beginning, tail.json, tail.max, tail.timeout) == ("t", True, True, 5, 2.5)
    plain = parser.parse_args(["topics", "tail", "t"])
    assert (plain.from_beginning, plain.json, plain.max, plain.timeout) == (False, False, None, None)
    assert parser.parse_args(["registry", "show", "s"]).version == "latest"
    assert parser.parse_args(["registry", "show", "s", "-1"]).version == "latest"
    assert parser.parse_args(["registry", "show", "s", "LATEST"]).version == "latest"
    assert parser.parse_args(["registry", "show", "s", "007"]).version == "7"
    diff = parser.parse_args(["registry", "diff", "s", "1", "latest"])
    assert (diff.subject, diff.v1, diff.v2) == ("s", "1", "latest")
    replay = parser.parse_args(
        ["dlq", "replay", "t", "--dry-run", "--yes", "--max", "3", "--error-class", "X"]
    )
    assert (replay.dry_run, replay.yes, replay.max, replay.error_class) == (True, True, 3, "X")
    subjects = parser.parse_args(["registry", "subjects", "--prefix", "weather.", "--deleted"])
    assert (subjects.prefix, subjects.deleted) == ("weather.", True)
    serve = parser.parse_args(["registry", "serve", "--port", "9999"])
    assert serve.port == 9999 and serve.func.__name__ == "_serve"


@pytest.mark.parametrize(
    "argv",
    [
        ["topics", "tail", "weather.service.event.updatd"],
        ["dlq", "show", "weather.service.event.updatd"],
        ["dlq", "replay", "weather.service.event.updatd", "--yes"],
    ],
)
def test_unknown_topic_exits_3_with_one_line_naming_close_matches(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens here: the catalogue check must come before any connection.
    monkeypatch.setenv("FLUX_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("flux: error: topic 'weather.service.event.updatd' is not in the catalogue")
    assert "did you mean: weather.service.event.updated" in err


def test_a_topic_without_a_dead_letter_topic_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    internal = load_catalogue().of_kind(TopicKind.INTERNAL)[0].name
    assert main(["dlq", "show", internal]) == 3
    assert capsys.readouterr().err == f"flux: error: topic {internal!r} has no dead-letter topic\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["topics", "tail", load_catalogue().of_kind(TopicKind.EVENT)[0].name, "--max", "1"],
        ["dlq", "list"],
        ["dlq", "show", load_catalogue().of_kind(TopicKind.COMMAND)[0].name],
        ["dlq", "replay", load_catalogue().of_kind(TopicKind.COMMAND)[0].name, "--dry-run"],
    ],
)
def test_unreachable_kafka_exits_4_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("FLUX_KAFKA_BOOTSTRAP", bootstrap)
    monkeypatch.setattr(kafka_read, "KAFKA_TIMEOUT_S", 1.0)
    assert main(argv) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"flux: error: cannot read metadata on Kafka at {bootstrap} within 1s")
    assert "FLUX_KAFKA_BOOTSTRAP" in err


@pytest.mark.parametrize(
    "argv",
    [["registry", "subjects"], ["registry", "show", "s-value"], ["registry", "diff", "s-value", "1", "2"]],
)
def test_unreachable_registry_exits_4_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("FLUX_REGISTRY_URL", url)
    assert main(argv) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"flux: error: cannot reach the schema registry at {url}")
