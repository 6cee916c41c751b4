"""Resolve the Apache Kafka broker jars from Maven Central with the checked-in ``devstack/kafka/pom.xml``.

The jars land in a versioned folder (``.flux/cache/kafka-libs/<version>``) that
``flux dev reset`` keeps, so a reset does not download 45 MB again.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

from flux.devstack.errors import DevStackError
from flux.paths import project_root

__all__ = ["KafkaJars", "require_java"]

LOG = logging.getLogger(__name__)
MIN_JAVA: Final = 17
_COMPLETE_MARKER: Final = ".complete"


def pom_path() -> Path:
    return project_root() / "devstack" / "kafka" / "pom.xml"


def kafka_version(pom: Path | None = None) -> str:
    """The Kafka version pinned in the pom (``<kafka.version>``)."""
    text = (pom or pom_path()).read_text(encoding="utf-8")
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", text)
    if match is None:
        raise DevStackError(f"{pom or pom_path()} has no <kafka.version> property")
    return match.group(1).strip()


def require_java() -> str:
    """Path of ``java`` (>= 17), or a clear error."""
    java = shutil.which("java")
    if java is None:
        raise DevStackError(
            f"Java {MIN_JAVA}+ is required to run the embedded Kafka broker but `java` is not on PATH. "
            "Install a JDK (e.g. `apt-get install openjdk-17-jre-headless`) or use the Docker path."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):
            major = int(match.group(2))
        if major < MIN_JAVA:
            raise DevStackError(f"Kafka needs Java {MIN_JAVA}+, but `java -version` reports {major}.")
    return java


class KafkaJars:
    """The classpath folder for one Kafka version, fetched on first use."""

    __slots__ = ("cache_dir", "version")

    def __init__(self, cache_dir: Path, version: str | None = None) -> None:
        self.version = version or kafka_version()
        self.cache_dir = cache_dir

    @property
    def libs_dir(self) -> Path:
        return self.cache_dir / self.version

    def present(self) -> bool:
        return (self.libs_dir / _COMPLETE_MARKER).exists()

    def classpath(self) -> str:
        if not self.present():
            raise DevStackError(
                f"Kafka {self.version} jars are missing; run `flux dev fetch` (or `make setup`)."
            )
        return str(self.libs_dir / "*")

    def fetch(self) -> Path:
        """Download the jars with Maven unless already there. Idempotent; safe to interrupt."""
        if self.present():
            return self.libs_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise DevStackError(
                "Maven (`mvn`) is required once to download the Kafka broker jars from Maven Central. "
                "Install it (e.g. `apt-get install maven`)."
            )
        staging = self.cache_dir / f".{self.version}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        print(
            f"==> resolving Apache Kafka {self.version} jars from Maven Central (first run only)", flush=True
        )
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom_path()),
            f"-Dkafka.version={self.version}",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            detail = (result.stdout + result.stderr).strip().splitlines()[-8:]
            raise DevStackError("Maven could not resolve the Kafka jars:\n  " + "\n  ".join(detail))
        jars = list(staging.glob("*.jar"))
        if not any(j.name.startswith("kafka_2.13-") for j in jars):
            raise DevStackError(f"Maven finished but no kafka_2.13 jar is in {staging}")
        (staging / _COMPLETE_MARKER).write_text("\n".join(sorted(j.name for j in jars)))
        shutil.rmtree(self.libs_dir, ignore_errors=True)
        staging.rename(self.libs_dir)
        print(f"    {len(jars)} jars in {self.libs_dir}", file=sys.stdout, flush=True)
        return self.libs_dir
