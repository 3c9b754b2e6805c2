"""The package's layout keeps the architecture readable: no import circle, dependencies that point
one way (surfaces -> domain services -> storage and infrastructure), small modules, and a top
level that holds only the app factory, the composition root, the configuration and the CLI.

Read from the source (ast), not from sys.modules, so imports inside functions count too: a
circle closed by a function-level import is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "idp"

# Lower layers first; a module may import its own layer or lower ones, never a higher one.
LAYERS = [
    ("infrastructure", {"idp.config", "idp.plumbing", "idp.observability", "idp.store", "idp.i18n"}),
    ("domain", {"idp.accounts", "idp.signin", "idp.tokens", "idp.apis", "idp.federation", "idp.administration", "idp.events",
                "idp.migration", "idp.organizations"}),
    ("composition", {"idp.services"}),
    ("surfaces", {"idp.oauth", "idp.web", "idp.ops", "idp.admin"}),
    ("entry points", {"idp.app", "idp.cli", "idp.gunicorn_conf", "idp.selftest"}),
]
TOP_LEVEL_MODULES = {"__init__.py", "app.py", "services.py", "gunicorn_conf.py"}  # config is a package (idp/config/)
MAX_LINES = 420


def modules() -> dict[str, tuple[pathlib.Path, bool]]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {}
    for name, (path, is_package) in known.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names if alias.name in known)
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                if target in known:
                    deps.add(target)
                deps.update(f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known)
        graph[name] = deps - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_of(module: str) -> int | None:
    for rank, (_, roots) in enumerate(LAYERS):
        if any(module == root or module.startswith(root + ".") for root in roots):
            return rank
    return None


def test_no_import_circle():
    assert circles(import_graph()) == []


def test_the_circle_check_finds_a_circle():
    """The check itself can fail: a two-module loop and a three-module loop are both reported."""
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]


def test_dependencies_point_down_the_layers():
    upward = []
    for module, deps in import_graph().items():
        rank = layer_of(module)
        assert rank is not None, f"{module} belongs to no layer: add it to LAYERS"
        for dep in deps:
            if layer_of(dep) > rank:
                upward.append(f"{module} ({LAYERS[rank][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]})")
    assert upward == []


def test_no_module_is_over_about_400_lines():
    long = {str(path.relative_to(PACKAGE.parent)): n for path in PACKAGE.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_top_level_holds_only_the_factory_the_composition_root_the_config_and_the_cli():
    loose = {p.name for p in PACKAGE.glob("*.py")} - TOP_LEVEL_MODULES
    assert loose == set()
    for package in (p for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc, f"idp/{package.name}/__init__.py says what the package holds"
