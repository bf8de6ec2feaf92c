"""The shape of the code, held by tests: small modules, small classes, one place that builds
HTTP clients, a store that imports no stage and a CLI that imports neither."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "monitor"
MODULES = sorted(p for p in PKG.rglob("*.py") if "migrations" not in p.parts)
STAGES = {
    "monitor.api", "monitor.archives.wayback", "monitor.checking.observe", "monitor.app.cli", "monitor.app.distributed",
    "monitor.checking.fanout", "monitor.checking.http", "monitor.pages.ingest", "monitor.store.lock", "monitor.app.output",
    "monitor.pages.patch", "monitor.report.build", "monitor.checking.runner", "monitor.archives.save", "monitor.app.daemon",
    "monitor.store.transfer",
}  # fmt: skip


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), str(path))


def _name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


NAMES = {_name(p): p for p in MODULES}


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks: read by type checkers only."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden.update(id(n) for n in ast.walk(child))
    return hidden


def _imports(path: Path, *, runtime: bool = False) -> set[str]:
    """Every module `path` imports, at run time or for type checking alike (`runtime`: the
    imports that run, at the top or inside a function, not the type checker's)."""
    tree = _tree(path)
    hidden = _type_checking_nodes(tree) if runtime else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


@functools.cache
def _graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports at run time (lazy imports included)."""
    return {name: {i for i in _imports(path, runtime=True) if i in NAMES and i != name}
            for name, path in NAMES.items()}  # fmt: skip


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _hits(imports: set[str], banned: set[str]) -> set[str]:
    return {i for i in imports for b in banned if i == b or i.startswith(b + ".")}


def _package_of(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or NAMES[name].name == "__init__.py" else name


def test_there_are_modules_to_look_at() -> None:
    names = {p.relative_to(PKG).as_posix() for p in MODULES}
    assert {
        "app/cli.py",
        "checking/http.py",
        "checking/runner.py",
        "store/__init__.py",
        "api/__init__.py",
    } <= names


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


def test_no_import_cycles_lazy_imports_included() -> None:
    assert _cycles(_graph()) == []


def test_a_cycle_is_seen() -> None:
    """The cycle finder itself: a loop of three and a self-contained pair are found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert sorted(_cycles(graph)) == [["a", "b", "c"], ["d", "e"]]


def test_the_package_root_keeps_the_face_and_the_configuration_only() -> None:
    root = sorted(p.name for p in PKG.glob("*.py"))
    assert len(root) <= 8, root


def test_nothing_inside_imports_the_package_face() -> None:
    """`monitor/__init__.py` loads the API lazily; a module importing names from it would
    tie every stage to the face (the version lives in monitor/version.py)."""
    offenders = []
    for name, path in NAMES.items():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom) and node.module == "monitor":
                names = [a.name for a in node.names if f"monitor.{a.name}" not in NAMES]
                if names:
                    offenders.append(f"{name}: {names}")
            elif isinstance(node, ast.Import) and any(a.name == "monitor" for a in node.names):
                offenders.append(name)
    assert offenders == []


# Which packages a stage may import (beyond itself): data flows one way.
ALLOWED = {
    "monitor.core": {"monitor.config"},
    # the report formats' table is plain data (report/formats.py names its renderers)
    "monitor.config": {
        "monitor.core",
        "monitor.version",
        "monitor.report.formats",
        "monitor.config_bounds",
    },
    "monitor.checking": {"monitor.core", "monitor.config"},
    "monitor.store": {"monitor.core", "monitor.config"},
    "monitor.pages": {"monitor.core", "monitor.config", "monitor.checking", "monitor.store"},
    "monitor.archives": {"monitor.core", "monitor.config", "monitor.checking", "monitor.store"},
    "monitor.report": {"monitor.core", "monitor.config", "monitor.store"},
}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_stage_imports_only_the_stages_before_it(package: str) -> None:
    offenders = []
    for name in NAMES:
        if name == package or name.startswith(package + "."):
            for dep in _graph()[name]:
                owner = _package_of(dep)
                if owner != _package_of(name) and not ({owner, dep} & ALLOWED[package]):
                    offenders.append(f"{name} -> {dep}")
    assert offenders == []


def test_the_programs_are_imported_by_nobody_else() -> None:
    outside = [f"{n} -> {d}" for n, deps in _graph().items()
               if not n.startswith("monitor.app") and n != "monitor.__main__"
               for d in deps if d.startswith("monitor.app")]  # fmt: skip
    assert outside == []


def test_every_error_a_user_can_cause_is_a_monitor_error() -> None:
    """The one base the command line catches; the exceptions outside it are private signals
    named here (a new one must be either)."""
    import importlib
    import inspect

    from monitor.core.errors import MonitorError

    outside = set()
    total = 0
    for name in NAMES:
        if name == "monitor.__main__" or name.startswith("monitor.store.migrations"):
            continue  # `python -m monitor` runs the command; alembic's scripts
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == name:
                total += 1
                if not issubclass(obj, MonitorError):
                    outside.add(f"{name}.{obj.__name__}")
    assert total >= 15
    assert outside == {"monitor.checking.batch._Retry"}


def test_the_report_writes_no_sql() -> None:
    """The report says what each section lists as data (`SectionFilter`); the store writes
    the queries."""
    for path in sorted((PKG / "report").glob("*.py")):
        assert not _hits(_imports(path), {"sqlalchemy", "sqlmodel"}), path.name
