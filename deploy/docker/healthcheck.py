"""Docker's HEALTHCHECK for Parley images: `grpc PORT_VAR DEFAULT` or `http PORT_VAR DEFAULT PATH`.

Kubernetes ignores HEALTHCHECK and uses its own probes (deploy/k8s); this serves `docker run` and
compose. The port comes from the service's own variable, so an overridden port is still checked.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def _port(variable: str, default: str) -> int:
    return int(os.environ.get(variable) or default)


def check_grpc(port: int) -> bool:
    """The standard grpc.health.v1 answer for the whole server is SERVING."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=2.0
        )
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def check_http(port: int, path: str) -> bool:
    """GET answers 200."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2.0) as response:
        return bool(response.status == 200)


def main(argv: list[str]) -> int:
    """0 when healthy, 1 otherwise (any error counts as unhealthy)."""
    try:
        if argv[0] == "grpc":
            healthy = check_grpc(_port(argv[1], argv[2]))
        else:
            healthy = check_http(_port(argv[1], argv[2]), argv[3])
    except Exception as exc:  # any failure, down to a refused connection, is unhealthy
        sys.stderr.write(f"unhealthy: {exc}\n")
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
