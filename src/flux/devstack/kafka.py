"""A single-node Apache Kafka in KRaft mode (combined broker + controller), run from Maven Central jars."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Final

from confluent_kafka.admin import AdminClient

from flux.devstack.component import Component
from flux.devstack.errors import DevStackError
from flux.devstack.kafka_jars import KafkaJars, require_java
from flux.devstack.ports import ensure_port_free, port_open

__all__ = ["KafkaNode"]

_LOG4J: Final = """\
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_dir}/server.log
appender.file.filePattern = {log_dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""

_CORRUPTION_HINTS: Final = (
    "meta.properties",
    "Invalid cluster.id",
    "ClusterId",
    "InconsistentClusterIdException",
    "CorruptRecordException",
    "No readable meta.properties",
)


class KafkaNode(Component):
    """Apache Kafka (KRaft) listening on ``127.0.0.1:<port>``; data under ``<home>/kafka/data``."""

    name = "kafka"
    port_setting = "FLUX_KAFKA_PORT"
    startup_timeout = 90.0

    def __init__(
        self, home: Path, port: int, controller_port: int, jars: KafkaJars, heap: str = "768m"
    ) -> None:
        super().__init__(home, port)
        self.controller_port = controller_port
        self.jars = jars
        self.heap = heap
        self.kafka_dir = home / "kafka"
        self.data_dir = self.kafka_dir / "data"

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def bootstrap(self) -> str:
        return self.url

    def _properties(self) -> str:
        return "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={self.data_dir}",
                # Topics come from the catalogue only; a typo must fail, not create a topic.
                "auto.create.topics.enable=false",
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                # Fewer internal partitions: a single dev node starts and rebalances faster.
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.cleaner.backoff.ms=5000",
                "",
            ]
        )

    def prepare(self) -> None:
        ensure_port_free(self.controller_port, "kafka controller", "FLUX_KAFKA_CONTROLLER_PORT")
        self.kafka_dir.mkdir(parents=True, exist_ok=True)
        (self.kafka_dir / "server.properties").write_text(self._properties())
        (self.kafka_dir / "log4j2.properties").write_text(_LOG4J.format(log_dir=self.kafka_dir))
        meta = self.data_dir / "meta.properties"
        if meta.exists():
            self._check_meta(meta)
            return
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise DevStackError(
                f"Kafka data in {self.data_dir} has no meta.properties (interrupted format or damaged state). "
                "Run `flux dev reset` to start from empty storage."
            )
        self._format()

    def _check_meta(self, meta: Path) -> None:
        text = meta.read_text(errors="replace")
        if "cluster.id=" not in text or "node.id=1" not in text:
            raise DevStackError(
                f"{meta} is damaged (no cluster.id / node.id). Run `flux dev reset` to start from empty storage."
            )

    def _format(self) -> None:
        import subprocess  # noqa: PLC0415 - only needed on first start

        cluster_id = _kafka_cluster_id()
        cmd = [
            require_java(),
            *self._jvm_args(),
            "kafka.tools.StorageTool",
            "format",
            # `=` form: a random id may start with "-" and must not read as an option.
            f"--cluster-id={cluster_id}",
            "-c",
            str(self.kafka_dir / "server.properties"),
            "--standalone",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=self._env())
        if result.returncode != 0:
            raise DevStackError(
                f"formatting Kafka storage failed:\n{(result.stdout + result.stderr)[-2000:]}"
            )

    def _jvm_args(self) -> list[str]:
        return [
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.kafka_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.kafka_dir}",
            "-cp",
            self.jars.classpath(),
        ]

    def _env(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "JAVA_TOOL"))}

    def _launch(self) -> None:
        argv = [require_java(), *self._jvm_args(), "kafka.Kafka", str(self.kafka_dir / "server.properties")]
        self.process.start(argv, env=self._env(), cwd=self.kafka_dir)

    def ready(self) -> bool:
        if not port_open(self.port):
            return False
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 2000})
        try:
            metadata = admin.list_topics(timeout=2)
        except Exception:
            return False
        return bool(metadata.brokers)

    def _died_message(self) -> str:
        server_log = self.kafka_dir / "server.log"
        tail = self.process.tail(30)
        if server_log.exists():
            tail += "\n" + "\n".join(server_log.read_text(errors="replace").splitlines()[-30:])
        hint = ""
        if any(h in tail for h in _CORRUPTION_HINTS):
            hint = (
                "\nThe broker's stored state looks damaged. Run `flux dev reset` to start from empty storage."
            )
        return f"kafka exited during start-up ({self.process.log_path}):\n{tail[-3000:]}{hint}"


def _kafka_cluster_id() -> str:
    """A Kafka cluster id: a random UUID as 22 characters of URL-safe base64 (what `random-uuid` prints)."""
    import base64  # noqa: PLC0415

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
