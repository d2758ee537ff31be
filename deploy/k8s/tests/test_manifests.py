"""deploy/k8s renders, validates, and matches what the services read, serve and call."""

from __future__ import annotations

import ast
import base64
import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
BIN = Path(sys.executable).parent
OVERLAYS = ("local", "staging", "prod")
# Each service and the port it serves on (HTTP for the gateway, gRPC for the others).
PORTS = {
    "gateway": 8080,
    "tenants": 50051,
    "negotiation": 50052,
    "delivery": 50053,
    "analytics": 50054,
}
GRPC_SERVICES = ("tenants", "negotiation", "delivery", "analytics")
# Where every gRPC service serves Prometheus /metrics (PARLEY_METRICS_PORT); the gateway serves
# its own on its HTTP port.
METRICS_PORT = 9090
SECRET = "parley-secrets"
# The function of each cli.py that `parley <service> serve` runs.
SERVE_ENTRY = {
    "gateway": "main",
    "tenants": "_serve",
    "negotiation": "_serve",
    "delivery": "_serve",
    "analytics": "_serve",
}
SETTINGS = {
    "gateway": "parley_gateway.settings:GatewaySettings",
    "tenants": "parley_tenants.settings:TenantsSettings",
    "negotiation": "parley_negotiation.settings:NegotiationSettings",
    "delivery": "parley_delivery.settings:DeliverySettings",
    "analytics": "parley_analytics.settings:AnalyticsSettings",
}
# Read through env.csv, not env.secret, and secret all the same.
ALSO_SECRET = {"PARLEY_ENCRYPTION_KEYS"}

# Variables a service reads that the manifests deliberately leave to the service's default.
# Every other variable a service reads must be provided; required ones (no default) always.
DEFAULTED = {
    # Local runs only: a cluster always authenticates callers.
    "PARLEY_TENANTS_AUTH_DISABLED",
    "PARLEY_NEGOTIATION_AUTH_DISABLED",
    "PARLEY_DELIVERY_AUTH_DISABLED",
    "PARLEY_ANALYTICS_AUTH_DISABLED",
    # Schemas: each service's own name, as the migrations create them.
    "PARLEY_TENANTS_SCHEMA",
    "PARLEY_NEGOTIATION_SCHEMA",
    "PARLEY_DELIVERY_SCHEMA",
    "PARLEY_ANALYTICS_SCHEMA",
    # Streams, subjects and consumers: one set of names shared by every service's defaults;
    # overriding one means overriding it for every service that reads it.
    "PARLEY_INBOUND_STREAM",
    "PARLEY_INBOUND_SUBJECT_PREFIX",
    "PARLEY_INBOUND_DEDUP_WINDOW_S",
    "PARLEY_INBOUND_MAX_AGE_S",
    "PARLEY_TENANTS_STREAM",
    "PARLEY_TENANTS_SUBJECT_PREFIX",
    "PARLEY_REPLIES_STREAM",
    "PARLEY_REPLIES_SUBJECT_PREFIX",
    "PARLEY_DELIVERY_STREAM",
    "PARLEY_DELIVERY_SUBJECT_PREFIX",
    "PARLEY_NEGOTIATION_STREAM",
    "PARLEY_NEGOTIATION_SUBJECT_PREFIX",
    "PARLEY_NEGOTIATION_DURABLE",
    "PARLEY_OUTBOX_POLL_S",
    "PARLEY_STARTUP_WAIT_S",
    # Gateway limits tuned to Meta's (README, Configuration).
    "PARLEY_GATEWAY_MAX_BODY_BYTES",
    "PARLEY_GATEWAY_PUBLISH_TIMEOUT_S",
    # Graph API client and login: the defaults are Meta's production values.
    "FACEBOOK_GRAPH_TIMEOUT_S",
    "FACEBOOK_DIALOG_URL",
    # The seller dashboard's link and session lifetimes and its gRPC deadline.
    "PARLEY_DASHBOARD_LOGIN_TTL_S",
    "PARLEY_DASHBOARD_SESSION_TTL_S",
    "PARLEY_DASHBOARD_RPC_TIMEOUT_S",
    # Tenants lifetimes, the token health check period, the Page profile set-up retry period.
    "PARLEY_OAUTH_STATE_TTL_S",
    "PARLEY_PROFILE_RETRY_S",
    "PARLEY_CONNECT_LINK_TTL_S",
    "PARLEY_TOKEN_CHECK_INTERVAL_S",
    # Negotiation tuning and the optional phrasing model (off without OPENAI_API_KEY).
    "PARLEY_NEGOTIATION_CACHE_TTL_S",
    "PARLEY_NEGOTIATION_MAX_IN_FLIGHT",
    "OPENAI_BASE_URL",
    "PARLEY_LLM_MODEL",
    "PARLEY_LLM_TIMEOUT_S",
    # Delivery pacing, rate limits, retries and deadlines: the service's tested policy.
    "PARLEY_DELIVERY_PACING",
    "PARLEY_DELIVERY_PACING_BASE_S",
    "PARLEY_DELIVERY_TYPING_CHARS_PER_S",
    "PARLEY_DELIVERY_PACING_JITTER",
    "PARLEY_DELIVERY_PACING_CAP_S",
    "PARLEY_DELIVERY_ECHO_WAIT_S",
    "PARLEY_DELIVERY_PAGE_RATE",
    "PARLEY_DELIVERY_PAGE_BURST",
    "PARLEY_DELIVERY_RETRY_BASE_S",
    "PARLEY_DELIVERY_RETRY_CAP_S",
    "PARLEY_DELIVERY_RATE_BACKOFF_S",
    "PARLEY_DELIVERY_TEXT_LIMIT",
    "PARLEY_DELIVERY_GIVE_UP_AFTER_S",
    "PARLEY_DELIVERY_HOLD_S",
    "PARLEY_DELIVERY_LAG_GRACE_S",
    "PARLEY_DELIVERY_ATTEMPT_BUDGET_S",
    "PARLEY_DELIVERY_PROFILE_CALLS",
    "PARLEY_DELIVERY_PROFILE_WINDOW_S",
    "PARLEY_DELIVERY_TOKEN_TTL_S",
    "PARLEY_DELIVERY_MAX_IN_FLIGHT",
    "PARLEY_DELIVERY_GRAPH_TRANSPORT",
    # Analytics' consumer names and batching: the service's measured defaults (its README).
    "PARLEY_ANALYTICS_DURABLE",
    "PARLEY_ANALYTICS_BATCH",
    "PARLEY_ANALYTICS_MAX_IN_FLIGHT",
}

Manifest = dict[str, Any]


# ---------------------------------------------------------------------------- helpers


def k8s_mk(variable: str) -> str:
    """The value of a `VAR := value` or `VAR ?= value` line of k8s.mk."""
    text = (K8S / "k8s.mk").read_text(encoding="utf-8")
    match = re.search(rf"^{variable}\s*[:?]?=\s*(.+)$", text, re.MULTILINE)
    assert match, f"k8s.mk defines no {variable}"
    return match.group(1).strip()


def of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs: list[Manifest], kind: str, name: str) -> Manifest:
    found = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def generated(docs: list[Manifest], kind: str, name: str) -> Manifest:
    """A generated ConfigMap or Secret, whatever its hash suffix."""
    pattern = re.compile(rf"^{re.escape(name)}(-[a-z0-9]{{10}})?$")
    found = [doc for doc in of_kind(docs, kind) if pattern.match(doc["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_templates(docs: list[Manifest]) -> Iterator[tuple[Manifest, Manifest]]:
    """(workload, pod template) for every Deployment, StatefulSet, Job and CronJob."""
    for doc in docs:
        if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
            yield doc, doc["spec"]["template"]
        elif doc["kind"] == "CronJob":
            yield doc, doc["spec"]["jobTemplate"]["spec"]["template"]


def container(workload: Manifest) -> Manifest:
    spec = workload["spec"]
    template = (
        spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
    )
    containers = template["spec"]["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: one container expected"
    result: Manifest = containers[0]
    return result


def data_of(doc: Manifest) -> dict[str, str]:
    """A ConfigMap's data, or a Secret's decoded."""
    if doc["kind"] == "Secret":
        return {k: base64.b64decode(v).decode() for k, v in doc.get("data", {}).items()}
    return dict(doc.get("data", {}))


def provided(docs: list[Manifest], workload: Manifest) -> dict[str, str | None]:
    """name -> value of every variable the container gets (None: from a Secret not rendered)."""
    spec = container(workload)
    env: dict[str, str | None] = {}
    for source in spec.get("envFrom", []):
        ref = source["configMapRef"]["name"]
        env.update(data_of(named(docs, "ConfigMap", ref)))
    for item in spec.get("env", []):
        env[item["name"]] = resolve_value(docs, item)
    return env


def resolve_value(docs: list[Manifest], item: Manifest) -> str | None:
    if "value" in item:
        return str(item["value"])
    source = item["valueFrom"]
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        return data_of(named(docs, "ConfigMap", ref["name"]))[ref["key"]]
    ref = source["secretKeyRef"]
    secrets = [doc for doc in of_kind(docs, "Secret") if doc["metadata"]["name"] == ref["name"]]
    if not secrets:
        return None
    return data_of(secrets[0]).get(ref["key"])


def dev_secret() -> dict[str, str]:
    """The local overlay's fake Secret values (the stand-in for staging and prod's)."""
    values: dict[str, str] = {}
    path = K8S / "overlays" / "local" / "DEV-ONLY-secrets.env"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def environment(docs: list[Manifest], workload: Manifest) -> dict[str, str]:
    """The container's environment, with the dev Secret standing in where none is rendered."""
    stand_in = dev_secret()
    env: dict[str, str] = {}
    for item in container(workload).get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if ref and ref["key"] in stand_in:
            env[item["name"]] = stand_in[ref["key"]]
    for name, value in provided(docs, workload).items():
        if value is not None:
            env[name] = value
    return env


def settings_of(service: str, env: dict[str, str]) -> Any:
    module, _, cls = SETTINGS[service].partition(":")
    return getattr(importlib.import_module(module), cls).from_env(env)


def service_docs(docs: list[Manifest], service: str) -> Manifest:
    return named(docs, "Deployment", service)


# ---------------------------------------------------------------------------- render, validate


def test_every_overlay_renders(rendered: dict[str, list[Manifest]]) -> None:
    for overlay, docs in rendered.items():
        assert docs, f"{overlay} rendered nothing"
        assert {doc["metadata"].get("namespace") for doc in docs if doc["kind"] != "Namespace"} == {
            k8s_mk("K8S_NAMESPACE")
        }


@pytest.mark.parametrize("version", k8s_mk("K8S_VERSIONS").split())
def test_every_overlay_validates_strictly(
    version: str, rendered_text: dict[str, str], tmp_path: Path
) -> None:
    files = []
    for overlay, text in rendered_text.items():
        files.append(tmp_path / f"{overlay}.yaml")
        files[-1].write_text(text, encoding="utf-8")
    command = [str(BIN / "kubernetes-validate"), "--strict", "--quiet", "-k", version]
    done = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_overlay_has_what_it_should(rendered: dict[str, list[Manifest]]) -> None:
    for overlay, docs in rendered.items():
        statefulsets = {doc["metadata"]["name"] for doc in of_kind(docs, "StatefulSet")}
        assert statefulsets == (set() if overlay == "prod" else {"nats", "postgres"}), overlay
        assert {doc["metadata"]["name"] for doc in of_kind(docs, "Deployment")} == set(PORTS)
        assert of_kind(docs, "Ingress"), overlay
    nats = named(rendered["local"], "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert nats["spec"]["volumeClaimTemplates"], "JetStream needs a volume per node"


# ---------------------------------------------------------------------------- configuration


def test_every_variable_a_service_reads_is_provided_or_deliberately_defaulted(
    rendered: dict[str, list[Manifest]], reads: Any
) -> None:
    for overlay, docs in rendered.items():
        for service, entry in SERVE_ENTRY.items():
            wanted = reads(service, entry)
            given = provided(docs, service_docs(docs, service))
            missing_required = {n for n, r in wanted.items() if r.required and n not in given}
            assert not missing_required, f"{overlay}/{service} lacks {missing_required}"
            missing = set(wanted) - set(given) - DEFAULTED
            assert not missing, f"{overlay}/{service}: provide or allow-list {sorted(missing)}"
            unread = {n for n in given if n not in wanted and not n.startswith("OTEL_")}
            assert not unread, f"{overlay}/{service} is given variables it never reads: {unread}"


def test_the_allow_list_names_only_variables_someone_reads(reads: Any) -> None:
    read_anywhere = set().union(*(reads(s, e) for s, e in SERVE_ENTRY.items()))
    assert DEFAULTED <= read_anywhere, f"stale: {sorted(DEFAULTED - read_anywhere)}"


def test_secrets_come_only_from_the_secret(rendered: dict[str, list[Manifest]], reads: Any) -> None:
    for docs in rendered.values():
        for workload, _ in pod_templates(docs):
            spec = container(workload)
            name = workload["metadata"]["name"]
            service = workload["metadata"]["labels"].get("app.kubernetes.io/name")
            entry = SERVE_ENTRY.get(service) if workload["kind"] == "Deployment" else None
            secret_names = (
                {n for n, r in reads(service, entry).items() if r.secret} if entry else set()
            )
            for item in spec.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if item["name"] in secret_names | ALSO_SECRET | {"PARLEY_DATABASE_URL"}:
                    assert ref, f"{name}: {item['name']} must come from the Secret"
                if ref:
                    assert ref["name"].startswith(SECRET), f"{name}: {ref['name']}"


def test_only_the_local_overlay_carries_a_secret_and_it_is_fake(
    rendered: dict[str, list[Manifest]],
) -> None:
    assert not of_kind(rendered["staging"], "Secret")
    assert not of_kind(rendered["prod"], "Secret")
    base = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(K8S / "base")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "kind: Secret" not in base.stdout
    secret = data_of(generated(rendered["local"], "Secret", SECRET))
    for key, value in secret.items():
        fake = "dev-only" in value or set(value) == {"0"}
        fake = fake or "dev-only" in base64.urlsafe_b64decode(value + "==").decode("latin-1")
        assert fake, f"{key} does not look like a dev-only placeholder"


def test_every_secret_key_referenced_exists_in_the_dev_secret(
    rendered: dict[str, list[Manifest]],
) -> None:
    secret = data_of(generated(rendered["local"], "Secret", SECRET))
    for overlay, docs in rendered.items():
        for _, template in pod_templates(docs):
            for item in template["spec"]["containers"][0].get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    assert ref["key"] in secret, f"{overlay}: {ref['key']} missing from dev Secret"


def test_dev_caller_tokens_match_the_callers_lists() -> None:
    secret = dev_secret()
    tokens = {key: value for key, value in secret.items() if key.endswith("-token")}
    tokens.pop("facebook-verify-token")
    assert tokens, "every caller has a token"
    for key, token in tokens.items():
        caller, service, _ = key.split("-")
        callers = dict(entry.split("=", 1) for entry in secret[f"{service}-callers"].split(","))
        assert callers[caller] == token, f"{caller}'s token for {service}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_accepts_its_configuration(
    overlay: str, rendered: dict[str, list[Manifest]]
) -> None:
    docs = rendered[overlay]
    for service, port in PORTS.items():
        settings = settings_of(service, environment(docs, service_docs(docs, service)))
        assert settings.port == port, f"{overlay}/{service} would listen on {settings.port}"
        assert settings.host == "0.0.0.0", f"{overlay}/{service} must listen on the pod IP"
        if service in GRPC_SERVICES:
            assert settings.metrics_port == METRICS_PORT, f"{overlay}/{service} metrics"
    from parley_kit.settings import Env
    from parley_negotiation.phrasing.llm import phraser_from_env
    from parley_tenants.adapters.crypto import TokenCipher

    env = Env(environment(docs, service_docs(docs, "negotiation")))
    phraser_from_env(env)
    env.check()
    TokenCipher(
        environment(docs, service_docs(docs, "tenants"))["PARLEY_ENCRYPTION_KEYS"].split(",")
    )


def test_public_url_is_the_ingress_host(rendered: dict[str, list[Manifest]]) -> None:
    for overlay, docs in rendered.items():
        ingress = named(docs, "Ingress", "gateway")
        host = ingress["spec"]["rules"][0]["host"]
        assert ingress["spec"]["tls"][0]["hosts"] == [host]
        public = data_of(generated(docs, "ConfigMap", "parley-tenants"))["PARLEY_PUBLIC_URL"]
        assert public == f"https://{host}", overlay
        assert not host.endswith(".invalid"), f"{overlay} keeps the placeholder host"


# ---------------------------------------------------------------------------- ports and probes


def gateway_routes() -> set[str]:
    path = ROOT / "services" / "gateway" / "src" / "parley_gateway" / "entrypoints" / "http.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        str(node.args[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Route"
        and isinstance(node.args[0], ast.Constant)
    }


def test_ports_match_what_each_service_serves(rendered: dict[str, list[Manifest]]) -> None:
    for docs in rendered.values():
        for service, port in PORTS.items():
            declared_ports = {p["name"]: p for p in container(service_docs(docs, service))["ports"]}
            expected = {"http"} if service == "gateway" else {"grpc", "metrics"}
            assert set(declared_ports) == expected, f"{service}: {sorted(declared_ports)}"
            declared = declared_ports["http" if service == "gateway" else "grpc"]
            assert declared["containerPort"] == port
            (exposed,) = named(docs, "Service", service)["spec"]["ports"]
            assert exposed["port"] == port and exposed["targetPort"] == declared["name"]
            assert (
                named(docs, "Service", service)["spec"]["selector"]
                == (service_docs(docs, service)["spec"]["selector"]["matchLabels"])
            )


def test_prometheus_scrapes_every_service(rendered: dict[str, list[Manifest]]) -> None:
    assert "/metrics" in gateway_routes()
    for overlay, docs in rendered.items():
        for service, port in PORTS.items():
            deployment = service_docs(docs, service)
            annotations = deployment["spec"]["template"]["metadata"]["annotations"]
            scraped = port if service == "gateway" else METRICS_PORT
            assert annotations == {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(scraped),
                "prometheus.io/path": "/metrics",
            }, f"{overlay}/{service}"
            if service in GRPC_SERVICES:
                (metrics,) = [p for p in container(deployment)["ports"] if p["name"] == "metrics"]
                assert metrics["containerPort"] == METRICS_PORT
                env = provided(docs, deployment)
                assert env["PARLEY_METRICS_PORT"] == str(METRICS_PORT), f"{overlay}/{service}"


def test_gateway_probes_use_its_health_routes(rendered: dict[str, list[Manifest]]) -> None:
    routes = gateway_routes()
    for docs in rendered.values():
        spec = container(service_docs(docs, "gateway"))
        probes = {
            kind: spec[f"{kind}Probe"]["httpGet"] for kind in ("startup", "liveness", "readiness")
        }
        assert probes["liveness"]["path"] == "/healthz"
        assert probes["readiness"]["path"] == "/readyz"
        for probe in probes.values():
            assert probe["path"] in routes
            assert probe["port"] == "http"


def test_grpc_probes_ask_the_standard_health_service(rendered: dict[str, list[Manifest]]) -> None:
    kit = (ROOT / "libs" / "kit" / "src" / "parley_kit" / "grpc_server.py").read_text()
    assert "add_HealthServicer_to_server" in kit and "NOT_SERVING" in kit
    for docs in rendered.values():
        for service in GRPC_SERVICES:
            bootstrap = ROOT / "services" / service / "src" / f"parley_{service}" / "bootstrap.py"
            assert "build_server(" in bootstrap.read_text(), f"{service} uses the kit's server"
            spec = container(service_docs(docs, service))
            for kind in ("startup", "liveness", "readiness"):
                probe = spec[f"{kind}Probe"]["grpc"]
                assert probe == {"port": PORTS[service]}, f"{service} {kind}: {probe}"


def test_ingress_routes_only_public_gateway_paths(rendered: dict[str, list[Manifest]]) -> None:
    routes = gateway_routes()
    for docs in rendered.values():
        for rule in named(docs, "Ingress", "gateway")["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}
                if path["pathType"] == "Exact":
                    assert path["path"] in routes
                else:
                    assert any(r.startswith(path["path"] + "/") for r in routes), path["path"]
                assert path["path"] not in {"/healthz", "/readyz", "/metrics", "/"}


def drain_grace(service: str) -> float:
    """The seconds a service gives calls in flight after SIGTERM (cli.py)."""
    cli = ROOT / "services" / service / "src" / f"parley_{service}" / "cli.py"
    for node in ast.walk(ast.parse(cli.read_text(encoding="utf-8"))):
        if isinstance(node, ast.keyword) and node.arg in {"grace", "timeout_graceful_shutdown"}:
            assert isinstance(node.value, ast.Constant)
            assert isinstance(node.value.value, int | float)
            return float(node.value.value)
    raise AssertionError(f"no grace in {cli}")


def test_termination_outlasts_the_drain(rendered: dict[str, list[Manifest]]) -> None:
    from nats.aio.client import DEFAULT_DRAIN_TIMEOUT

    for docs in rendered.values():
        for service in PORTS:
            deployment = service_docs(docs, service)
            pre_stop = container(deployment)["lifecycle"]["preStop"]["sleep"]["seconds"]
            needed = pre_stop + drain_grace(service) + DEFAULT_DRAIN_TIMEOUT
            period = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            assert period > needed, f"{service}: {period} s <= {needed} s of drain"


# ---------------------------------------------------------------------------- workloads


def test_every_pod_is_hardened(rendered: dict[str, list[Manifest]]) -> None:
    for docs in rendered.values():
        for workload, template in pod_templates(docs):
            name = workload["metadata"]["name"]
            pod = template["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert pod["automountServiceAccountToken"] is False, name
            assert pod["serviceAccountName"], name
            for spec in pod["containers"]:
                security = spec["securityContext"]
                assert security["allowPrivilegeEscalation"] is False, name
                assert security["readOnlyRootFilesystem"] is True, name
                assert security["capabilities"] == {"drop": ["ALL"]}, name
                for kind in ("requests", "limits"):
                    assert {"cpu", "memory"} <= set(spec["resources"][kind]), f"{name} {kind}"
                image = spec["image"]
                if not image.startswith("parley/"):
                    assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image}"


def test_each_service_scales_on_its_own(rendered: dict[str, list[Manifest]]) -> None:
    for overlay, docs in rendered.items():
        for service in PORTS:
            deployment = service_docs(docs, service)
            assert "replicas" not in deployment["spec"], f"{service}: the autoscaler owns replicas"
            hpa = named(docs, "HorizontalPodAutoscaler", service)
            assert hpa["spec"]["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": service,
            }
            assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
            if overlay == "prod":
                assert hpa["spec"]["minReplicas"] >= 3
                resources = container(deployment)["resources"]
                assert resources["requests"] == resources["limits"], f"prod {service}"
            pdb = named(docs, "PodDisruptionBudget", service)
            assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
            account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
            named(docs, "ServiceAccount", account)


def subcommands(service: str) -> set[str]:
    cli = ROOT / "services" / service / "src" / f"parley_{service}" / "cli.py"
    return {
        str(node.args[0].value)
        for node in ast.walk(ast.parse(cli.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_parser"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_a_migration_job_per_service_that_migrates(
    rendered: dict[str, list[Manifest]], reads: Any
) -> None:
    for docs in rendered.values():
        jobs = {job["metadata"]["name"]: job for job in of_kind(docs, "Job")}
        migrating = {s for s in PORTS if "migrate" in subcommands(s)}
        assert migrating == set(GRPC_SERVICES)
        assert set(jobs) == {f"{s}-migrate" for s in migrating}
        for service in migrating:
            job = jobs[f"{service}-migrate"]
            spec = container(job)
            assert spec["command"] + spec["args"] == ["parley", service, "migrate"]
            assert job["spec"]["template"]["metadata"]["labels"] == {
                "app.kubernetes.io/name": service,
                "app.kubernetes.io/component": "migration",
            }
            check_reads(docs, job, reads(service, "_migrate"))


def test_rotate_keys_is_a_ready_job_template(
    rendered: dict[str, list[Manifest]], reads: Any
) -> None:
    assert "rotate-keys" in subcommands("tenants")
    for docs in rendered.values():
        cron = named(docs, "CronJob", "tenants-rotate-keys")
        assert cron["spec"]["suspend"] is True
        spec = container(cron)
        assert spec["command"] + spec["args"] == ["parley", "tenants", "rotate-keys"]
        check_reads(docs, cron, reads("tenants", "_rotate_keys"))


def check_reads(docs: list[Manifest], workload: Manifest, wanted: dict[str, Any]) -> None:
    name = workload["metadata"]["name"]
    given = provided(docs, workload)
    missing = {n for n, r in wanted.items() if r.required and n not in given}
    assert not missing, f"{name} lacks {missing}"
    assert set(given) <= set(wanted), f"{name} gets unread {set(given) - set(wanted)}"


def test_servers_run_serve(rendered: dict[str, list[Manifest]]) -> None:
    for docs in rendered.values():
        for service in PORTS:
            assert "serve" in subcommands(service)
            spec = container(service_docs(docs, service))
            assert spec["command"] + spec["args"] == ["parley", service, "serve"]


def test_prod_points_at_existing_nats(rendered: dict[str, list[Manifest]]) -> None:
    common = data_of(generated(rendered["prod"], "ConfigMap", "parley-common"))
    assert common["PARLEY_NATS_URL"] != "nats://nats:4222"
    for overlay in ("local", "staging"):
        common = data_of(generated(rendered[overlay], "ConfigMap", "parley-common"))
        jetstream = data_of(generated(rendered[overlay], "ConfigMap", "parley-jetstream"))
        assert common["PARLEY_NATS_URL"] == "nats://nats:4222"
        assert jetstream["PARLEY_NATS_REPLICAS"] == str(
            named(rendered[overlay], "StatefulSet", "nats")["spec"]["replicas"]
        )


def test_namespace_enforces_the_restricted_pod_security_standard(
    rendered: dict[str, list[Manifest]],
) -> None:
    for docs in rendered.values():
        (namespace,) = of_kind(docs, "Namespace")
        assert namespace["metadata"]["name"] == k8s_mk("K8S_NAMESPACE")
        labels = namespace["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        # `make undeploy` deletes what carries part-of=parley: never the namespace.
        assert "app.kubernetes.io/part-of" not in labels


def test_undeploy_reaches_everything_but_the_namespace(rendered: dict[str, list[Manifest]]) -> None:
    for overlay, docs in rendered.items():
        for doc in docs:
            labels = doc["metadata"].get("labels", {})
            if doc["kind"] != "Namespace":
                assert labels.get("app.kubernetes.io/part-of") == "parley", (
                    f"{overlay}: {doc['kind']} {doc['metadata']['name']} escapes make undeploy"
                )
