"""Loaders that refuse what yaml.safe_load and json.load accept silently: a key given twice in one
mapping (the later value wins there, while kubectl, ECS and most tools refuse the file), and the
same variable named twice in a container's environment list."""

from __future__ import annotations

import json
import os
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class DuplicateKey(ValueError):
    pass


class StrictLoader(yaml.SafeLoader):
    """yaml's SafeLoader, refusing a mapping that names a key twice (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise DuplicateKey(f"{key!r} at line {key_node.start_mark.line + 1}, "
                                   f"already at line {seen[key] + 1}")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def _pairs_without_duplicates(pairs):
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise DuplicateKey(f"keys given twice: {twice}")
    return dict(pairs)


def load_strict(path: str) -> list:
    """Every document of a YAML or JSON file, refusing duplicate keys and duplicate variables."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith(".json"):
        docs = [json.loads(text, object_pairs_hook=_pairs_without_duplicates)]
    else:
        docs = [doc for doc in yaml.load_all(text, Loader=StrictLoader) if doc is not None]
    for doc in docs:
        _refuse_repeated_variables(doc)
    return docs


def _refuse_repeated_variables(node) -> None:
    """A list of {name, value} entries (a container's env in Kubernetes, ECS, Cloud Run, ACI) names
    each variable once: which of two values a runtime keeps differs between them."""
    if isinstance(node, dict):
        for value in node.values():
            _refuse_repeated_variables(value)
    elif isinstance(node, list):
        names = [item["name"] for item in node if isinstance(item, dict) and "name" in item
                 and ("value" in item or "valueFrom" in item or "secureValue" in item)]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise DuplicateKey(f"variables given twice: {twice}")
        for item in node:
            _refuse_repeated_variables(item)


def kit_files() -> list[str]:
    """Every YAML and JSON file the repository holds (the deployment kit, Grafana, Prometheus,
    the package manifests)."""
    out = subprocess.run(["git", "ls-files", "*.yaml", "*.yml", "*.json"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return sorted(line for line in out.splitlines() if line)
