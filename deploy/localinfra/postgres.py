"""A real PostgreSQL server from the distribution's binaries, plus database provisioning.

PostgreSQL refuses to run as root. When this runs as root (containers, CI), initdb and postgres run
as the unprivileged `postgres` system user (or `smsdb`, created if neither exists); otherwise as the
current user.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Literal

from . import _process
from .provisioning import dsn

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
_FALLBACK_SYSTEM_USER = "smsdb"
_STOP_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}
# Unix socket paths are limited to 107 bytes (sun_path); the socket file adds ".s.PGSQL.<port>".
_MAX_SOCKET_DIR = 90


class PostgresError(RuntimeError):
    """The server could not be initialised, started or stopped."""


def find_pg_bin() -> Path:
    """`PG_BIN` if set, else the newest `/usr/lib/postgresql/<major>/bin`, else PATH's `initdb`."""
    env = os.environ.get("PG_BIN")
    if env:
        return Path(env)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresError("no PostgreSQL binaries: install postgresql or set PG_BIN")


def _ensure_system_user() -> pwd.struct_passwd:
    for name in (SUPERUSER, _FALLBACK_SYSTEM_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "smsdb"],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam(_FALLBACK_SYSTEM_USER)


def _make_traversable(path: Path, uid: int) -> None:
    """Give "others" search (x) permission on the ancestors of `path` the server user needs.

    Only the execute bit is added (no listing): e.g. pytest's /tmp/pytest-of-root is 0700.
    """
    for parent in reversed(path.parents):
        st = parent.stat()
        if st.st_uid == uid or st.st_mode & stat.S_IXOTH:
            continue
        os.chmod(parent, st.st_mode | stat.S_IXOTH)


def _c_utf8_available() -> bool:
    try:
        done = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return False
    names = {line.strip().lower().replace("-", "") for line in done.stdout.splitlines()}
    return "c.utf8" in names


class PostgresServer:
    """One local PostgreSQL cluster; everything lives under `data_dir` (PGDATA is `pgdata/`)."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        superuser_password: str | None = None,
        *,
        fast_unsafe: bool = False,
        max_connections: int = 300,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self._port = port
        self._password = superuser_password
        self.fast_unsafe = fast_unsafe
        self.max_connections = max_connections
        self.bin = find_pg_bin()
        self._proc: subprocess.Popen[bytes] | None = None
        # As root the server runs as an unprivileged system user; otherwise as ourselves.
        self._user = _ensure_system_user() if os.geteuid() == 0 else None

    @property
    def pgdata(self) -> Path:
        """The cluster directory (PGDATA)."""
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        """The server's stderr log."""
        return self.data_dir / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        """Where the unix socket goes (inside data_dir unless the path would be too long)."""
        inside = self.data_dir / "run"
        if len(str(inside)) <= _MAX_SOCKET_DIR:
            return inside
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"localinfra-pg-{digest}"

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1 (picked on first start unless given)."""
        if self._port is None:
            raise PostgresError("no port yet: call start() first")
        return self._port

    @property
    def superuser_password(self) -> str:
        """The `postgres` role's password (generated on first use, kept in data_dir)."""
        if self._password is None:
            path = self.data_dir / "superuser.password"
            if path.is_file():
                self._password = path.read_text().strip()
            else:
                self._password = secrets.token_urlsafe(24)
                self.data_dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(self._password + "\n")
        return self._password

    def superuser_dsn(self, database: str = "postgres") -> str:
        """A TCP DSN for the `postgres` superuser."""
        return dsn(SUPERUSER, self.superuser_password, "127.0.0.1", self.port, database)

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def is_running(self) -> bool:
        """True while the postmaster is alive."""
        return self.pid is not None

    def _run_as(self) -> tuple[int | None, int | None, list[int] | None, dict[str, str] | None]:
        """(user, group, extra_groups, env) for subprocess: the server user's identity as root.

        Like `setpriv --reuid --regid --clear-groups`, but without a wrapper process: the Popen
        pid is the postmaster itself, so signals reach it directly.
        """
        if self._user is None:
            return None, None, None, None
        env = {**os.environ, "HOME": str(self.data_dir), "USER": self._user.pw_name}
        return self._user.pw_uid, self._user.pw_gid, [], env

    def _own(self, *paths: Path) -> None:
        if self._user is not None:
            for path in paths:
                os.chown(path, self._user.pw_uid, self._user.pw_gid)

    def _prepare_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._own(self.data_dir, self.socket_dir)
        if self._user is not None:
            _make_traversable(self.data_dir, self._user.pw_uid)
            _make_traversable(self.socket_dir, self._user.pw_uid)

    def _initdb(self) -> None:
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        self._own(self.pgdata)
        pwfile = self.data_dir / ".initdb-pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.superuser_password + "\n")
        self._own(pwfile)
        locale = "C.UTF-8" if _c_utf8_available() else "C"
        cmd = [
            str(self.bin / "initdb"),
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            f"--locale={locale}",
        ]
        if self.fast_unsafe:
            cmd.append("--no-sync")
        user, group, extra_groups, env = self._run_as()
        try:
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                check=False,
                cwd=self.data_dir,
                user=user,
                group=group,
                extra_groups=extra_groups,
                env=env,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise PostgresError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def _settings(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.socket_dir),
            "max_connections": str(self.max_connections),
            "password_encryption": "scram-sha-256",
            "logging_collector": "off",
        }
        if self.fast_unsafe:
            # Durability traded for speed: fine for throwaway test clusters, never for data kept.
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        args: list[str] = []
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        return args

    def start(self, timeout: float = 60) -> None:
        """initdb on first use, start the postmaster and wait until it accepts connections."""
        if self.is_running():
            return
        started_at = time.monotonic()
        if self._port is None:
            self._port = _process.free_port()
        elif not _process.port_is_free(self._port):
            raise PostgresError(f"port {self._port} on 127.0.0.1 is already in use")
        self._prepare_dirs()
        if not (self.pgdata / "PG_VERSION").is_file():
            self._initdb()
        deadline = started_at + timeout
        user, group, extra_groups, env = self._run_as()
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.pgdata), *self._settings()],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
                user=user,
                group=group,
                extra_groups=extra_groups,
                env=env,
            )
        _process.register(self._proc, signal.SIGINT)
        try:
            self._wait_ready(deadline)
        except BaseException:
            self.kill()
            raise
        log.info(
            "PostgreSQL up on 127.0.0.1:%s in %.1fs (pid %s, data %s)",
            self.port,
            time.monotonic() - started_at,
            self.pid,
            self.pgdata,
        )

    def _wait_ready(self, deadline: float) -> None:
        assert self._proc is not None
        isready = [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        while True:
            code = self._proc.poll()
            if code is not None:
                raise PostgresError(
                    f"postgres exited with code {code} while starting:\n"
                    f"{_process.tail(self.log_file)}"
                )
            # 0: accepting connections; 1: starting up or in recovery; 2: no answer yet.
            if subprocess.run([*isready, "-t", "2"], check=False).returncode == 0:
                return
            if time.monotonic() >= deadline:
                raise PostgresError(
                    f"postgres not ready on port {self.port}:\n{_process.tail(self.log_file)}"
                )
            time.sleep(0.1)

    def stop(
        self, mode: Literal["smart", "fast", "immediate"] = "fast", timeout: float = 60
    ) -> None:
        """Shut down (`smart`, `fast` or `immediate`, as pg_ctl); SIGKILL after `timeout`."""
        if self._proc is None:
            return
        code = _process.terminate(self._proc, _STOP_SIGNALS[mode], timeout)
        log.info("PostgreSQL stopped (%s shutdown, exit code %s)", mode, code)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends (a crash: the next start runs recovery)."""
        if self._proc is None:
            return
        # The whole group, not just the postmaster: orphaned backends would keep the shared
        # memory attached and the next postmaster would refuse to start.
        _process.kill(self._proc)
        self._proc = None

    def restart(self, timeout: float = 60) -> None:
        """Fast shutdown, then start on the same port and data."""
        self.stop()
        self.start(timeout=timeout)

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
