"""PostgreSQL and NATS for a local run or a test session: the configured ones, or our own."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self

from parley_devstack.servers import NatsServer, PostgresServer

DATABASE_URL_ENV = "PARLEY_DATABASE_URL"
NATS_URL_ENV = "PARLEY_NATS_URL"


class LocalStack:
    """Takes PARLEY_DATABASE_URL and PARLEY_NATS_URL from `env`; starts a server for each unset.

    Servers it starts keep their data under `data_dir` (`postgres/`, `nats/`) and are
    stopped by `stop()`, on leaving the `with` block, or at interpreter exit; on Linux
    they also stop when the thread that started them ends, so start it from the main thread.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        env: Mapping[str, str] | None = None,
        fsync: bool = True,
        postgres_port: int = 0,
        nats_port: int = 0,
    ) -> None:
        source = os.environ if env is None else env
        self.data_dir = data_dir
        self.postgres: PostgresServer | None = None
        self.nats: NatsServer | None = None
        self._database_url = source.get(DATABASE_URL_ENV) or None
        self._nats_url = source.get(NATS_URL_ENV) or None
        if self._database_url is None:
            self.postgres = PostgresServer(data_dir / "postgres", port=postgres_port, fsync=fsync)
        if self._nats_url is None:
            self.nats = NatsServer(data_dir / "nats", port=nats_port)

    @property
    def database_url(self) -> str:
        """PARLEY_DATABASE_URL as given, or our server's."""
        return self._database_url or _server_url(self.postgres)

    @property
    def nats_url(self) -> str:
        """PARLEY_NATS_URL as given, or our server's."""
        return self._nats_url or _server_url(self.nats)

    @property
    def env(self) -> dict[str, str]:
        """The two variables, for a child process's environment."""
        return {DATABASE_URL_ENV: self.database_url, NATS_URL_ENV: self.nats_url}

    def start(self) -> Self:
        """Start the servers this stack owns (none when both URLs were given)."""
        with ExitStack() as undo:
            undo.callback(self.stop)
            for server in (self.postgres, self.nats):
                if server is not None:
                    server.start()
            undo.pop_all()
        return self

    def stop(self) -> None:
        """Stop what `start()` started: NATS first, then PostgreSQL."""
        try:
            if self.nats is not None:
                self.nats.stop()
        finally:
            if self.postgres is not None:
                self.postgres.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _server_url(server: PostgresServer | NatsServer | None) -> str:
    if server is None:
        raise RuntimeError("neither a URL nor a server")  # __init__ makes one or the other
    return server.url


@contextmanager
def sigterm_as_keyboard_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt, so `finally` and `with` clean up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
