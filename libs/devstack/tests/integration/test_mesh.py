"""A child of the mesh starts again with its own command and environment, in its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley_devstack.run import Mesh

pytestmark = pytest.mark.integration


def test_an_exited_child_restarts_with_the_same_command_and_environment(tmp_path: Path) -> None:
    mesh = Mesh(tmp_path)
    try:
        first = mesh.start("cli", ["--help"], {"PARLEY_FAULT_MARK": "kept"})
        mesh.start("other", ["--help"], {})
        assert first.process.wait(30) == 0
        again = mesh.restart("cli")
        assert again.process.wait(30) == 0
    finally:
        mesh.stop()
    assert mesh.children[0] is again and again.process.pid != first.process.pid
    assert again.args == ["--help"] and again.env["PARLEY_FAULT_MARK"] == "kept"
    assert (tmp_path / "cli.log").read_text().count("usage: parley") == 2


def test_a_running_child_is_not_started_twice(tmp_path: Path) -> None:
    mesh = Mesh(tmp_path)
    try:
        mesh.start("emulator", ["emulator", "serve", "--port", "0", "--empty"], {})
        with pytest.raises(RuntimeError, match="still running"):
            mesh.restart("emulator")
        with pytest.raises(KeyError):
            mesh.restart("nobody")
    finally:
        mesh.stop()
    assert mesh.exited() is not None
