"""A real Apache Kafka broker (KRaft, combined broker+controller) run from Maven Central jars.

No Docker: `deploy/kafka/pom.xml` resolves the broker's runtime closure, Maven copies it into
`.local/kafka/<version>/lib`, and `KafkaServer` runs `kafka.Kafka` from that folder with a JVM.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import re
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

from . import _process
from .topics import list_topics

log = logging.getLogger(__name__)

POM_RELATIVE = Path("deploy/kafka/pom.xml")
STARTED_MESSAGE = "Kafka Server started"
_MARKER = ".fetched"


class KafkaError(RuntimeError):
    """The broker could not be fetched, started or stopped."""


def find_repo_root(start: Path | None = None) -> Path:
    """The project root: the first ancestor holding `deploy/kafka/pom.xml`.

    Looked up from `start` (default: the working directory), then from this file, so that it works
    both from a checkout and from the editable install.
    """
    candidates = [start or Path.cwd(), Path(__file__).resolve().parent]
    for origin in candidates:
        for folder in (origin.resolve(), *origin.resolve().parents):
            if (folder / POM_RELATIVE).is_file():
                return folder
    raise KafkaError(f"no {POM_RELATIVE} above {candidates[0]} or {candidates[1]}")


def kafka_version(pom: Path) -> str:
    """The `kafka.version` property of the broker pom."""
    # A pattern rather than an XML parser: the pom is ours and the property is one flat element.
    match = re.search(r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>", pom.read_text())
    if match is None:
        raise KafkaError(f"{pom} has no <kafka.version> property")
    return match.group(1)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise KafkaError(
            f"`{tool}` is not on PATH: the local Kafka broker needs Java 17+ and Maven "
            "(apt-get install openjdk-17-jre-headless maven), or point SMS_KAFKA_BOOTSTRAP_SERVERS "
            "at an existing cluster"
        )
    return path


def _fetched(marker: Path, digest: str, lib: Path) -> bool:
    # The marker alone is not enough: someone may have deleted the lib folder by hand.
    return (
        marker.is_file()
        and marker.read_text().strip() == digest
        and any(lib.glob("kafka_2.13-*.jar"))
    )


def ensure_kafka_jars(repo_root: Path | None = None) -> Path:
    """Copy the broker's jars into `<repo_root>/.local/kafka/<version>/lib`; return that folder.

    Skipped when a marker records a completed copy of the same pom (a pom edit re-fetches). A file
    lock serialises concurrent callers (parallel test processes) on one checkout.
    """
    root = repo_root or find_repo_root()
    pom = root / POM_RELATIVE
    version = kafka_version(pom)
    home = root / ".local" / "kafka" / version
    lib = home / "lib"
    marker = home / _MARKER
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    if _fetched(marker, digest, lib):
        return lib
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _fetched(marker, digest, lib):
            return lib
        mvn = _require("mvn")
        _require("java")
        # A half-copied folder from an interrupted run would give a broken classpath: start over.
        shutil.rmtree(lib, ignore_errors=True)
        cmd = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={lib}",
        ]
        log.info("fetching Kafka %s jars with Maven into %s", version, lib)
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not any(lib.glob("kafka_2.13-*.jar")):
            raise KafkaError(
                f"`{' '.join(cmd)}` failed ({done.returncode}):\n{done.stdout[-4000:]}"
                f"{done.stderr[-4000:]}"
            )
        marker.write_text(digest + "\n")
    return lib


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode("ascii")


def _log4j2_yaml(log_file: Path) -> str:
    # JSON strings are valid YAML scalars: safe quoting of the path.
    # shutdownHook disabled: log4j's own hook would stop logging while Kafka's shutdown hook is
    # still running, hiding how the broker's shutdown went.
    return f"""\
Configuration:
  shutdownHook: disable
  Appenders:
    File:
      name: FILE
      fileName: {json.dumps(str(log_file))}
      append: true
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: FILE
    Logger:
      # Per-request and state-change chatter drowns the useful lines of a test broker.
      - name: kafka.request.logger
        level: WARN
      - name: state.change.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: WARN
      - name: kafka.log.LogCleaner
        level: WARN
      # Prints "{STARTED_MESSAGE}", which start() waits for.
      - name: kafka.server.KafkaRaftServer
        level: INFO
"""


class KafkaServer:
    """One local Kafka broker in KRaft combined mode, its data under `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        controller_port: int | None = None,
        heap: str = "512m",
        *,
        repo_root: Path | None = None,
        num_partitions: int = 3,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.num_partitions = num_partitions
        self._repo_root = repo_root
        self._proc: subprocess.Popen[bytes] | None = None

    # Layout of data_dir.
    @property
    def properties_file(self) -> Path:
        """The generated `server.properties`."""
        return self.data_dir / "server.properties"

    @property
    def log_file(self) -> Path:
        """The broker's log4j log."""
        return self.data_dir / "kafka.log"

    @property
    def stdout_file(self) -> Path:
        """The JVM's stdout/stderr (crashes before logging starts, GC warnings)."""
        return self.data_dir / "kafka.stdout"

    @property
    def log_dirs(self) -> Path:
        """Where the partitions and the metadata log live."""
        return self.data_dir / "data"

    @property
    def bootstrap_servers(self) -> str:
        """`127.0.0.1:<port>` for clients; only known once started (or a port was given)."""
        if self.port is None:
            raise KafkaError("the broker has no port yet: call start() first")
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The JVM's pid while running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def is_running(self) -> bool:
        """True while the broker process is alive."""
        return self.pid is not None

    def _cluster_id(self) -> str:
        # Persisted: a restart must present the id the storage was formatted with.
        path = self.data_dir / "cluster.id"
        if path.is_file():
            return path.read_text().strip()
        cluster_id = new_cluster_id()
        path.write_text(cluster_id + "\n")
        return cluster_id

    def _pick_ports(self) -> None:
        # Chosen once: restart() and later start() calls reuse them, so clients' bootstrap
        # addresses stay valid.
        if self.port is None:
            self.port = _process.free_port(exclude={self.controller_port or 0})
        if self.controller_port is None:
            self.controller_port = _process.free_port(exclude={self.port})
        for port in (self.port, self.controller_port):
            if not _process.port_is_free(port):
                raise KafkaError(f"port {port} on 127.0.0.1 is already in use")

    def _write_config(self) -> None:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            # Static quorum (kraft.version 0): the storage is formatted without --standalone.
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": (
                f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
            ),
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.log_dirs),
            "num.partitions": str(self.num_partitions),
            "default.replication.factor": "1",
            # One broker: internal topics cannot have more replicas than that.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "min.insync.replicas": "1",
            # Tests join groups constantly: the default 3 s wait would dominate their runtime.
            "group.initial.rebalance.delay.ms": "0",
            # Every topic is created explicitly from the registry; a typo must fail loudly.
            "auto.create.topics.enable": "false",
            "log.retention.hours": "168",
        }
        self.properties_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.data_dir / "log4j2.yaml").write_text(_log4j2_yaml(self.log_file))

    def _java(self, lib: Path, main: str, *args: str) -> list[str]:
        return [
            _require("java"),
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.yaml'}",
            # The JVM expands the wildcard itself (it is not a shell glob).
            "-cp",
            f"{lib}/*",
            main,
            *args,
        ]

    def _format(self, lib: Path) -> None:
        cmd = self._java(
            lib,
            "kafka.tools.StorageTool",
            "format",
            # One argument: an id may start with "-", which the tool would read as an option.
            f"--cluster-id={self._cluster_id()}",
            "-c",
            str(self.properties_file),
            "--ignore-formatted",
        )
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise KafkaError(f"formatting {self.log_dirs} failed:\n{done.stdout}{done.stderr}")

    def start(self, timeout: float = 90) -> None:
        """Start the broker and return once it serves metadata; raise with its log otherwise."""
        if self.is_running():
            return
        started_at = time.monotonic()
        lib = ensure_kafka_jars(self._repo_root)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pick_ports()
        self._write_config()
        if not (self.log_dirs / "meta.properties").is_file():
            self._format(lib)
        # Only lines written by this run count as "started": remember where the log ends now.
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        with self.stdout_file.open("ab") as out:
            self._proc = subprocess.Popen(
                self._java(lib, "kafka.Kafka", str(self.properties_file)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )
        _process.register(self._proc, signal.SIGTERM)
        try:
            self._wait_ready(offset, started_at + timeout)
        except BaseException:
            self.kill()
            raise
        log.info(
            "Kafka broker up on %s in %.1fs (pid %s, data %s)",
            self.bootstrap_servers,
            time.monotonic() - started_at,
            self.pid,
            self.data_dir,
        )

    def _log_since(self, offset: int) -> str:
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(offset)
                return fh.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _failure(self, why: str) -> KafkaError:
        return KafkaError(
            f"{why}\n--- {self.log_file} (tail) ---\n{_process.tail(self.log_file)}"
            f"\n--- {self.stdout_file} (tail) ---\n{_process.tail(self.stdout_file, 15)}"
        )

    def _wait_ready(self, offset: int, deadline: float) -> None:
        assert self._proc is not None
        logged = False
        while True:
            code = self._proc.poll()
            if code is not None:
                raise self._failure(f"the Kafka broker exited with code {code} while starting")
            if not logged:
                logged = STARTED_MESSAGE in self._log_since(offset)
            if logged:
                # The log line says the broker is up; a metadata round trip proves a client
                # can actually reach it on the advertised listener.
                try:
                    _process.run_sync(lambda: list_topics(self.bootstrap_servers, timeout=5), 15)
                    return
                except Exception as exc:  # retried until the deadline
                    if time.monotonic() >= deadline:
                        raise self._failure(
                            f"broker logged ready but metadata failed: {exc}"
                        ) from exc
            if time.monotonic() >= deadline:
                raise self._failure("the Kafka broker did not become ready in time")
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        """Stop cleanly (SIGTERM: controlled shutdown), SIGKILL after `timeout` seconds."""
        if self._proc is None:
            return
        code = _process.terminate(self._proc, signal.SIGTERM, timeout)
        log.info("Kafka broker stopped (exit code %s)", code)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the broker's process group (a crash, for recovery tests)."""
        if self._proc is None:
            return
        _process.kill(self._proc)
        self._proc = None

    def restart(self, timeout: float = 90) -> None:
        """Stop and start again on the same ports and data."""
        self.stop()
        self.start(timeout=timeout)

    def __enter__(self) -> KafkaServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
