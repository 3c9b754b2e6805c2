"""The README's first command installs the package alone (`pip install -e .`, no test extras):
every third-party module the idp package imports must come from its declared dependencies or
theirs. A module that only the test extras bring (as `requests` once was) breaks `idp demo` on a
fresh machine while the whole suite stays green."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import pathlib
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parent.parent


def imported_top_level_modules(package: pathlib.Path) -> set[str]:
    modules = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"__future__", package.name}


def installed_closure(requirements: list[str]) -> set[str]:
    """Distributions that installing these requirements brings, following each one's own
    requirements (with the extras asked for) as pip would."""
    seen: set[str] = set()
    pending = [Requirement(text) for text in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        key = name + "[" + ",".join(sorted(requirement.extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.distribution(name).requires or []:
            child = Requirement(text)
            extras = {""} | set(requirement.extras)
            if child.marker is None or any(child.marker.evaluate({"extra": extra}) for extra in extras):
                child.marker = None
                pending.append(child)
    return {key.split("[")[0] for key in seen}


def test_every_module_the_package_imports_comes_with_its_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = installed_closure(project["dependencies"])
    providers = metadata.packages_distributions()
    missing = {
        module: providers.get(module)
        for module in imported_top_level_modules(ROOT / "idp")
        if not {canonicalize_name(dist) for dist in providers.get(module, [])} & runtime
    }
    assert not missing, f"imported by idp/ but not installed by `pip install .`: {missing}"


def test_the_check_sees_a_module_left_to_the_test_extras():
    """The check itself can fail: pytest comes only with the test extras."""
    runtime = installed_closure(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert "pytest" not in runtime
    assert {"flask", "werkzeug", "hiredis"} <= runtime  # declared, transitive, and through an extra
