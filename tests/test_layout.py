"""The shape of the code, held by tests: small modules, small classes, one place that builds
HTTP clients, a store that imports no stage and a CLI that imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "monitor"
MODULES = sorted(p for p in PKG.rglob("*.py") if "migrations" not in p.parts)
STAGES = {
    "monitor.api", "monitor.archives.wayback", "monitor.checking.observe", "monitor.app.cli", "monitor.app.distributed",
    "monitor.checking.fanout", "monitor.checking.http", "monitor.pages.ingest", "monitor.store.lock", "monitor.app.output",
    "monitor.pages.patch", "monitor.report.build", "monitor.checking.runner", "monitor.archives.save", "monitor.app.daemon",
    "monitor.store.transfer",
}  # fmt: skip


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), str(path))


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at run time or for type checking alike."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def _hits(imports: set[str], banned: set[str]) -> set[str]:
    return {i for i in imports for b in banned if i == b or i.startswith(b + ".")}


def test_there_are_modules_to_look_at() -> None:
    names = {p.relative_to(PKG).as_posix() for p in MODULES}
    assert {"app/cli.py", "checking/http.py", "checking/runner.py", "store/__init__.py", "api/__init__.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_no_module_over_700_lines_and_no_class_over_400(path: Path) -> None:
    lines = path.read_text("utf-8").count("\n")
    assert lines <= 700, f"{path.name}: {lines} lines"
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= 400, f"{path.name}: class {node.name} has {size} lines"


def test_httpx_clients_are_built_in_http_py_only() -> None:
    builders = {"AsyncClient", "Client"}
    offenders = []
    for path in MODULES:
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in builders
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "httpx"
            ):
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno}")
    assert offenders and all(o.startswith("checking/http.py:") for o in offenders), offenders


def test_nothing_reaches_into_a_client_transport() -> None:
    for path in MODULES:
        assert "._transport" not in path.read_text("utf-8"), path


def test_the_store_imports_no_stage() -> None:
    for path in sorted((PKG / "store").glob("*.py")):
        assert not _hits(_imports(path), STAGES), path.name


def test_the_cli_imports_no_store_and_no_stage() -> None:
    imports = _imports(PKG / "app" / "cli.py")
    allowed = {"monitor.api", "monitor.app.output"}
    assert not _hits(imports, (STAGES - allowed) | {"monitor.store", "monitor.store.models"})
    assert {"monitor.api", "monitor.app.output"} & imports


def test_comments_cite_no_file_outside_the_repository() -> None:
    for path in MODULES:
        assert "../shared" not in path.read_text("utf-8"), path
