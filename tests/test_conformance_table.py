"""tests/CONFORMANCE.md maps each conformance-suite module to the test that covers it; this keeps
the map honest: every test it names exists (found with ast, as pytest would collect it), every row
names a test or gives an n/a reason, and each heading's module count is the number of its rows."""

from __future__ import annotations

import ast
import functools
import os
import re

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
TABLE = os.path.join(TESTS, "CONFORMANCE.md")
HEADING = re.compile(r"^## (?P<title>.+) — `(?P<plan>[a-z0-9-]+)` \((?P<count>\d+) modules\)$")
ROW = re.compile(r"^\| `(?P<module>oidcc-[A-Za-z0-9-]+)` \| (?P<what>[^|]+) \| (?P<cover>.+) \|$")
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
MIN_REASON_WORDS = 6


def plans() -> dict[str, dict]:
    """{plan: {"count": n, "rows": [(module, what, cover)]}} as the file states them."""
    found: dict[str, dict] = {}
    current = None
    with open(TABLE, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if heading := HEADING.match(line):
                current = found.setdefault(heading["plan"], {"count": int(heading["count"]), "rows": []})
            elif line.startswith("| `oidcc-"):
                row = ROW.match(line)
                assert row and current is not None, f"malformed row: {line}"
                current["rows"].append((row["module"], row["what"].strip(), row["cover"].strip()))
    return found


@functools.lru_cache(maxsize=None)
def defined_tests(path: str) -> set[str]:
    """The module-level test functions of a test file, parsed once. (CPython 3.11 keeps ast's
    recursion depth per interpreter, not per thread: a parse racing a live test server thread's
    compile() of a template can fail with "AST constructor recursion depth mismatch".)"""
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")}


PLANS = plans()
ROWS = [(plan, *row) for plan, data in PLANS.items() for row in data["rows"]]
for _path, _ in {ref for _, _, _, cover in ROWS for ref in REFERENCE.findall(cover)}:  # at collection, no server up
    if os.path.isfile(os.path.join(ROOT, _path)):
        defined_tests(_path)


def test_the_table_has_the_six_plans_and_their_counts():
    assert set(PLANS) == {"oidcc-basic-certification-test-plan", "oidcc-config-certification-test-plan",
                          "oidcc-formpost-basic-certification-test-plan",
                          "oidcc-rp-initiated-logout-certification-test-plan",
                          "oidcc-backchannel-rp-initiated-logout-certification-test-plan",
                          "oidcc-dynamic-certification-test-plan"}
    for plan, data in PLANS.items():
        modules = [module for module, _, _ in data["rows"]]
        assert len(modules) == data["count"], plan
        assert len(set(modules)) == len(modules), f"{plan}: a module listed twice"


def test_form_post_lists_the_basic_modules():
    """The Form Post OP plan is the Basic OP plan in the form_post response mode."""
    basic = [m for m, _, _ in PLANS["oidcc-basic-certification-test-plan"]["rows"]]
    assert [m for m, _, _ in PLANS["oidcc-formpost-basic-certification-test-plan"]["rows"]] == basic


@pytest.mark.parametrize("plan,module,what,cover", ROWS, ids=[f"{p.split('-')[1]}:{m}" for p, m, _, _ in ROWS])
def test_each_module_names_existing_tests_or_an_n_a_reason(plan, module, what, cover):
    references = REFERENCE.findall(cover)
    if cover.startswith("n/a"):
        reason = REFERENCE.sub("", cover[3:]).strip(" —-:;,.")
        assert len(reason.split()) >= MIN_REASON_WORDS, f"{module}: n/a needs a reason"
    else:
        assert references, f"{module}: neither a test nor an n/a reason"
    for path, name in references:
        assert os.path.isfile(os.path.join(ROOT, path)), f"{module}: {path} does not exist"
        assert name in defined_tests(path), f"{module}: {path}::{name} does not exist"


def test_rows_citing_the_happy_flow_test_are_its_parameters():
    """The happy-flow test is parametrized by module name: a row citing it must be one of them."""
    from .test_conformance_modules import HAPPY_FLOWS

    happy = "tests/test_conformance_modules.py::test_happy_flow_variant_succeeds_oidc_core_3_1_2_1_and_15_1"
    citing = {module for _, module, _, cover in ROWS if f"`{happy}`" in cover}
    assert citing and citing <= set(HAPPY_FLOWS), citing - set(HAPPY_FLOWS)
