"""A server process of our own: in its own process group, ready-checked, stopped or killed."""

from __future__ import annotations

import abc
import atexit
import ctypes
import functools
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

HOST = "127.0.0.1"
_LOG_TAIL_BYTES = 8192
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class ServerStartError(RuntimeError):
    """A server did not come up; the message ends with the tail of its log."""


class PortInUseError(ServerStartError):
    """A server could not listen: something else holds its port."""


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account a server runs as when we are root."""

    name: str
    uid: int
    gid: int


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, size: int = _LOG_TAIL_BYTES, *, since: int = 0) -> str:
    """The last few kilobytes of a log file (from byte `since` on), or a note that there is none."""
    try:
        with path.open("rb") as log:
            log.seek(max(since, log.seek(0, os.SEEK_END) - size))
            return log.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return f"(no log at {path})"


def unreachable_dir(path: Path, account: RunAs) -> Path | None:
    """The first directory on the way to `path` that `account` may not enter, if any."""
    for directory in reversed([path, *path.parents]):
        if not directory.exists():
            return None
        mode = directory.stat()
        if mode.st_uid == account.uid:
            bit = stat.S_IXUSR
        elif mode.st_gid == account.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not mode.st_mode & bit:
            return directory
    return None


def unprivileged_account(owner_of: Path | None = None) -> RunAs:
    """Who runs a server when we are root: the owner of `owner_of` if not root, else `nobody`."""
    if owner_of is not None and owner_of.exists() and owner_of.stat().st_uid != 0:
        entry = pwd.getpwuid(owner_of.stat().st_uid)
    else:
        entry = pwd.getpwnam("nobody")
    return RunAs(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)


def _memory_tempdir(room: int = 1 << 30) -> str | None:
    """/dev/shm when it is a tmpfs with room to spare (Docker's default 64 MB is not)."""
    try:
        shm = os.statvfs("/dev/shm")
    except OSError:
        return None
    if shm.f_bavail * shm.f_frsize < room or not os.access("/dev/shm", os.W_OK):
        return None
    return "/dev/shm"


@contextmanager
def server_tempdir(prefix: str = "parley-", *, in_memory: bool = False) -> Iterator[Path]:
    """A temporary directory that servers run as another user can enter; removed afterwards.

    `in_memory` puts it on /dev/shm when that has room: much faster for throwaway servers.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_memory_tempdir() if in_memory else None))
    try:
        # mkdtemp makes it 0700; an unprivileged PostgreSQL started by root must pass through.
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def _die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec function asking Linux to send `sig` to the child when this thread ends."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return arm


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class ManagedServer(abc.ABC):
    """Base of our servers: one child process in a group of its own, logging to a file."""

    name: ClassVar[str]
    stop_signal: ClassVar[signal.Signals] = signal.SIGTERM
    _live: ClassVar[set[ManagedServer]] = set()
    _live_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, data_dir: Path, *, port: int = 0, start_timeout: float = 30.0) -> None:
        self.data_dir = data_dir.absolute()
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        # A port we chose may be taken before the server binds it; until the first start
        # succeeds we may move to another (later starts keep it, clients know it by then).
        self._may_move = not port
        self._log_start = 0

    @property
    def log_path(self) -> Path:
        """Where the server's stdout and stderr go (appended to across restarts)."""
        return self.data_dir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        """The server's process id (also its process group id) while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server on its port and data, and wait until it accepts connections."""
        if self.running:
            return self
        moves = 2 if self._may_move else 0
        while True:
            try:
                self._start_once()
            except PortInUseError:
                if moves == 0:
                    raise
                moves -= 1
                self.port = free_port()
            else:
                self._may_move = False
                return self

    def _start_once(self) -> None:
        self._forget()
        self._prepare()
        deadline = time.monotonic() + self.start_timeout
        self._proc = proc = self._spawn(self._command(), self._account())
        self._remember()
        try:
            self._wait_ready(proc, deadline)
            self._after_ready()
        except BaseException:
            self.kill()
            raise

    def stop(self, timeout: float = 30.0) -> None:
        """Stop gracefully; kill the whole group if it is still there after `timeout` seconds."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._wait_group_gone(proc.pid)
        self._forget()

    def kill(self) -> None:
        """SIGKILL the server and every process it started, as a crash would."""
        proc = self._proc
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        self._wait_group_gone(proc.pid)
        self._forget()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # What a concrete server provides.

    def _prepare(self) -> None:
        if not self.data_dir.exists():
            self.data_dir.mkdir(parents=True)
            self.data_dir.chmod(0o755)  # a server run as another user may need to pass through

    @abc.abstractmethod
    def _command(self) -> list[str]:
        """The server's command line."""

    def _account(self) -> RunAs | None:
        return None

    @abc.abstractmethod
    def _is_ready(self) -> bool:
        """True once the server really serves (not just listens)."""

    def _after_ready(self) -> None:
        return None

    # Machinery.

    def _spawn(self, command: list[str], account: RunAs | None) -> subprocess.Popen[bytes]:
        with self.log_path.open("ab") as log:
            self._log_start = log.tell()
            log.write(f"--- parley devstack: {' '.join(command)}\n".encode())
            log.flush()
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
                preexec_fn=_die_with_parent(self.stop_signal),
                user=None if account is None else account.uid,
                group=None if account is None else account.gid,
                extra_groups=None if account is None else [],
            )

    def _wait_ready(self, proc: subprocess.Popen[bytes], deadline: float) -> None:
        while True:
            code = proc.poll()
            if code is not None:
                raise self._start_error(f"exited with code {code}")
            if self._is_ready():
                return
            if time.monotonic() > deadline:
                raise self._start_error(f"not ready after {self.start_timeout:.0f}s")
            time.sleep(0.02)

    def _start_error(self, what: str) -> ServerStartError:
        tail = log_tail(self.log_path, since=self._log_start)
        # nats-server: "bind: address already in use"; PostgreSQL: "Address already in use".
        error = PortInUseError if "already in use" in tail.lower() else ServerStartError
        return error(
            f"{self.name} on {HOST}:{self.port} {what}; {self.log_path} ends with:\n{tail}"
        )

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float = 2.0) -> None:
        # Children of a killed leader are reparented and reaped by init; give them a moment.
        deadline = time.monotonic() + timeout
        while not _group_gone(pgid) and time.monotonic() < deadline:
            time.sleep(0.01)

    def _remember(self) -> None:
        with self._live_lock:
            self._live.add(self)

    def _forget(self) -> None:
        self._proc = None
        with self._live_lock:
            self._live.discard(self)


@atexit.register
def _stop_leftovers() -> None:
    """Stop any server still running when the interpreter exits normally."""
    for server in list(ManagedServer._live):
        server.stop(timeout=10.0)
