"""Each service's Dockerfile installs that service alone, from the lock, and runs unprivileged."""

from __future__ import annotations

import http.server
import importlib.util
import re
import threading
import tomllib
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health as grpc_health
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]
PORTS = {
    "gateway": 8080,
    "tenants": 50051,
    "negotiation": 50052,
    "delivery": 50053,
    "analytics": 50054,
}


def workspace_members() -> dict[str, Path]:
    """Package name -> folder, for every member of the uv workspace."""
    members = {}
    for pyproject in [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        members[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return members


def closure(package: str, members: dict[str, Path]) -> set[str]:
    """The package and every workspace member it depends on, transitively."""
    found, todo = set(), [package]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        project = tomllib.loads((members[name] / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            dependency = re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0]
            if dependency in members:
                todo.append(dependency)
    return found


def instructions(service: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of services/<service>/Dockerfile, continuation lines joined."""
    text = (ROOT / "services" / service / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


@pytest.mark.parametrize("service", sorted(PORTS))
def test_the_image_holds_only_the_service_and_its_shared_libs(service: str) -> None:
    members = workspace_members()
    wanted = closure(f"parley-{service}", members) | closure("parley-cli", members)
    steps = instructions(service)
    copied = {
        source
        for op, args in steps
        if op == "COPY" and "--from" not in args
        for source in args.split()[:-1]
        if source.startswith(("libs/", "services/"))
    }
    folders = {str(members[name].relative_to(ROOT)) for name in wanted}
    assert {"/".join(source.split("/")[:2]) for source in copied} == folders
    syncs = [args for op, args in steps if op == "RUN" and "uv sync" in args]
    assert syncs, "installs with uv sync"
    for args in syncs:
        for flag in ("--frozen", "--no-dev", f"--package parley-{service}", "--package parley-cli"):
            assert flag in args, f"{service}: uv sync without {flag}"


@pytest.mark.parametrize("service", sorted(PORTS))
def test_the_image_runs_unprivileged_with_a_health_check(service: str) -> None:
    steps = instructions(service)
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) >= 3, "uv, build and runtime stages"
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    (user,) = [args for op, args in final if op == "USER"]
    assert user.split(":")[0] not in {"0", "root"}
    assert ("EXPOSE", str(PORTS[service])) in final
    (check,) = [args for op, args in final if op == "HEALTHCHECK"]
    assert ("grpc" if service != "gateway" else "/healthz") in check
    assert ("ENTRYPOINT", f'["parley", "{service}"]') in final
    assert ("CMD", '["serve"]') in final


def test_the_build_context_keeps_what_the_images_copy() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignore[next(i for i, line in enumerate(ignore) if not line.startswith("#"))] == "*"
    for needed in ("pyproject.toml", "uv.lock", "libs/kit/src", "deploy/docker/healthcheck.py"):
        assert f"!{needed}" in ignore


def healthcheck() -> Any:
    """deploy/docker/healthcheck.py, loaded from its file (the images copy it; no import)."""
    path = ROOT / "deploy" / "docker" / "healthcheck.py"
    spec = importlib.util.spec_from_file_location("parley_image_healthcheck", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_image_health_check_follows_the_grpc_health_service() -> None:
    check = healthcheck()
    health = grpc_health.HealthServicer()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert check.main(["grpc", "UNSET_PORT_VARIABLE", str(port)]) == 1
        health.set("", health_pb2.HealthCheckResponse.SERVING)
        assert check.main(["grpc", "UNSET_PORT_VARIABLE", str(port)]) == 0
    finally:
        server.stop(None)
    assert check.main(["grpc", "UNSET_PORT_VARIABLE", str(port)]) == 1


def test_the_image_health_check_asks_the_gateway_over_http() -> None:
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name BaseHTTPRequestHandler calls
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = str(server.server_address[1])
        check = healthcheck()
        assert check.main(["http", "UNSET_PORT_VARIABLE", port, "/healthz"]) == 0
        assert check.main(["http", "UNSET_PORT_VARIABLE", port, "/missing"]) == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
