"""One mesh on private servers for every fault scenario (starting it costs tens of seconds);
each scenario talks with buyers of its own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from .harness import FaultMesh, log_tail, running_mesh
from .scenario import SUMMARIES


@pytest.fixture(scope="package")
def fault_mesh() -> Iterator[FaultMesh]:
    """The mesh, shared by the scenarios; every process must be alive after each one."""
    with running_mesh() as started:
        try:
            yield started
        finally:
            keep = os.environ.get("PARLEY_FAULTS_LOGS")
            if keep:  # the processes' logs, for a look after the run
                shutil.copytree(started.data / "logs", keep, dirs_exist_ok=True)


@pytest.fixture
def mesh(fault_mesh: FaultMesh) -> Iterator[FaultMesh]:
    """The shared mesh, checked after the test: no process died, no fault rule is left."""
    yield fault_mesh
    fault_mesh.emulator_call("DELETE", "/faults")
    dead = fault_mesh.dead()
    tails = "\n".join(f"--- {n}:\n{log_tail(fault_mesh.child(n).log)}" for n in dead)
    assert not dead, f"processes exited: {dead}\n{tails}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures of every scenario that ran, one line each."""
    if SUMMARIES:
        terminalreporter.section("fault scenarios")
        for line in SUMMARIES:
            terminalreporter.write_line(line)
