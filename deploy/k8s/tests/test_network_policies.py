"""The NetworkPolicies allow exactly the flows of DESIGN.md: the graph they allow, per overlay."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

K8S = Path(__file__).resolve().parents[1]
NAMESPACE = "parley"
Manifest = dict[str, Any]
Flow = tuple[str, str, str, int]  # source, destination, protocol, port

SERVERS = ("gateway", "tenants", "negotiation", "delivery", "analytics")
SCHEMA_OWNERS = ("tenants", "negotiation", "delivery", "analytics")
GRPC_SERVICES = ("tenants", "negotiation", "delivery", "analytics")
# Every gRPC service serves Prometheus /metrics on 9090 (PARLEY_METRICS_PORT); the gateway on 8080.
METRICS = {"gateway": 8080} | dict.fromkeys(GRPC_SERVICES, 9090)
PRIVATE = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"}
# Peers outside the namespace: (namespace, pod labels) -> the name the expected flows use.
EXTERNAL = {
    ("kube-system", (("k8s-app", "kube-dns"),)): "kube-dns",
    ("ingress-nginx", (("app.kubernetes.io/name", "ingress-nginx"),)): "ingress-controller",
    ("nats", (("app.kubernetes.io/name", "nats"),)): "nats",  # prod: the existing cluster
    ("monitoring", ()): "monitoring",  # Prometheus' namespace (base/network-policies.yaml)
}


def prod_database() -> str:
    """The address range overlays/prod declares for the external PostgreSQL."""
    for doc in yaml.safe_load_all(
        (K8S / "overlays" / "prod" / "external-services.yaml").read_text()
    ):
        if doc["metadata"]["name"] == "allow-postgres":
            return f"ipBlock:{doc['spec']['egress'][0]['to'][0]['ipBlock']['cidr']}"
    raise AssertionError("overlays/prod declares no PostgreSQL range")


def expected_flows(overlay: str, workloads: set[str]) -> set[Flow]:
    """DESIGN.md's flows, as the deployment issue lists them."""
    postgres = prod_database() if overlay == "prod" else "postgres"
    flows: set[Flow] = {("ingress-controller", "gateway", "TCP", 8080)}
    flows |= {(server, "nats", "TCP", 4222) for server in SERVERS}
    database_users = [*SCHEMA_OWNERS, *(f"{s}-migrate" for s in SCHEMA_OWNERS)]
    flows |= {(user, postgres, "TCP", 5432) for user in [*database_users, "tenants-rotate-keys"]}
    flows |= {
        ("gateway", "tenants", "TCP", 50051),
        ("negotiation", "tenants", "TCP", 50051),
        ("delivery", "tenants", "TCP", 50051),
        ("tenants", "delivery", "TCP", 50053),  # Page profile set-up
        ("gateway", "delivery", "TCP", 50053),  # dashboard
        ("gateway", "negotiation", "TCP", 50052),  # dashboard
        ("gateway", "analytics", "TCP", 50054),  # dashboard
        ("tenants", "internet", "TCP", 443),  # Graph API
        ("delivery", "internet", "TCP", 443),  # Graph API
        ("negotiation", "internet", "TCP", 443),  # the optional phrasing model
    }
    flows |= {("monitoring", server, "TCP", port) for server, port in METRICS.items()}
    flows |= {(w, "kube-dns", proto, 53) for w in workloads for proto in ("UDP", "TCP")}
    if overlay != "prod":
        flows.add(("nats", "nats", "TCP", 6222))  # routes between the cluster's nodes
    return flows


def workloads_of(docs: list[Manifest]) -> dict[str, dict[str, str]]:
    """Workload name -> the labels of its pods."""
    pods: dict[str, dict[str, str]] = {}
    for doc in docs:
        spec = doc.get("spec", {})
        if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
            pods[doc["metadata"]["name"]] = spec["template"]["metadata"]["labels"]
        elif doc["kind"] == "CronJob":
            template = spec["jobTemplate"]["spec"]["template"]
            pods[doc["metadata"]["name"]] = template["metadata"]["labels"]
    return pods


def matches(selector: Manifest, labels: dict[str, str]) -> bool:
    """Kubernetes label selector semantics (matchLabels and matchExpressions)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        ok = {
            "In": present and labels.get(key) in (values or []),
            "NotIn": not present or labels.get(key) not in (values or []),
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not ok:
            return False
    return True


def selected(selector: Manifest, pods: dict[str, dict[str, str]]) -> set[str]:
    return {name for name, labels in pods.items() if matches(selector, labels)}


def peers(peer: Manifest, pods: dict[str, dict[str, str]]) -> set[str]:
    """The workloads or outside parties a `from` / `to` entry names."""
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        if block["cidr"] == "0.0.0.0/0":
            assert PRIVATE <= set(block.get("except", [])), "the Internet, not the cluster"
            return {"internet"}
        ipaddress.ip_network(block["cidr"])
        return {f"ipBlock:{block['cidr']}"}
    pod_selector = peer.get("podSelector", {})
    if "namespaceSelector" not in peer:
        return selected(pod_selector, pods)
    namespace = peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name")
    if namespace == NAMESPACE:
        return selected(pod_selector, pods)
    key = (namespace, tuple(sorted(pod_selector.get("matchLabels", {}).items())))
    return {EXTERNAL.get(key, f"unknown:{namespace}")}


def ports(rule: Manifest) -> set[tuple[str, int]]:
    listed = rule.get("ports")
    assert listed, "every rule names its ports"
    return {(p.get("protocol", "TCP"), int(p["port"])) for p in listed}


def permissions(docs: list[Manifest], pods: dict[str, dict[str, str]]) -> tuple[set[Flow], ...]:
    """(what egress rules allow, what ingress rules allow)."""
    egress: set[Flow] = set()
    ingress: set[Flow] = set()
    for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
        spec = policy["spec"]
        targets = selected(spec["podSelector"], pods)
        for rule in spec.get("egress", []) if "Egress" in spec["policyTypes"] else []:
            for target in targets:
                for peer in rule["to"]:
                    for destination in peers(peer, pods):
                        egress |= {(target, destination, *p) for p in ports(rule)}
        for rule in spec.get("ingress", []) if "Ingress" in spec["policyTypes"] else []:
            for target in targets:
                for peer in rule["from"]:
                    for source in peers(peer, pods):
                        ingress |= {(source, target, *p) for p in ports(rule)}
    return egress, ingress


def allowed(docs: list[Manifest]) -> tuple[set[Flow], set[Flow]]:
    """(flows both ends allow, flows one end allows and the other refuses)."""
    pods = workloads_of(docs)
    egress, ingress = permissions(docs, pods)
    inside = set(pods)
    flows = {f for f in egress if f[1] not in inside} | {f for f in ingress if f[0] not in inside}
    both = {f for f in egress & ingress if f[0] in inside and f[1] in inside}
    half = {f for f in egress ^ ingress if f[0] in inside and f[1] in inside}
    return flows | both, half


@pytest.mark.parametrize("overlay", ["local", "staging", "prod"])
def test_policies_allow_exactly_the_designed_flows(
    overlay: str, rendered: dict[str, list[Manifest]]
) -> None:
    docs = rendered[overlay]
    flows, half_open = allowed(docs)
    expected = expected_flows(overlay, set(workloads_of(docs)))
    assert not flows - expected, f"allowed beyond the design: {sorted(flows - expected)}"
    assert not expected - flows, f"designed but blocked: {sorted(expected - flows)}"
    assert not half_open, f"allowed at one end only: {sorted(half_open)}"


def test_everything_is_denied_by_default(rendered: dict[str, list[Manifest]]) -> None:
    for docs in rendered.values():
        defaults = [
            d["spec"]
            for d in docs
            if d["kind"] == "NetworkPolicy" and d["spec"]["podSelector"] == {}
        ]
        assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in defaults
