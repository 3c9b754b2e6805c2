"""The monitoring kit against what runs: every alert of deploy/prometheus/alerts.yml has a
`promtool test rules` case that fires it, and every metric the Grafana dashboard and the alerts
query is in a live server's /metrics (with the labels they group by)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import requests
import yaml

from ..test_keys import client_credentials_token

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMETHEUS = os.path.join(ROOT, "deploy", "prometheus")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "idp-dashboard.json")
PROMTOOL = shutil.which("promtool")
# Series Prometheus makes itself at each scrape, never exported by the target.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan", "atan2"}


def alerts() -> list[dict]:
    with open(os.path.join(PROMETHEUS, "alerts.yml")) as handle:
        return [rule for group in yaml.safe_load(handle)["groups"] for rule in group["rules"] if "alert" in rule]


def queries() -> list[str]:
    with open(DASHBOARD) as handle:
        dashboard = json.load(handle)
    found = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert found
    return found


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads: what is left once strings, label matchers,
    ranges, grouping clauses, numbers, Grafana variables and function calls are taken out.
    (No PromQL parser is packaged for Python; this grammar subset is all the kit uses.)"""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\$\w+", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        if not match.group(2) and match.group(1).lower() not in PROMQL_WORDS:
            names.add(match.group(1))
    return names


def grouping_labels(expr: str) -> set[str]:
    return {label.strip() for clause in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
            for label in clause.split(",") if label.strip() and label.strip() != "le"}


def test_the_metric_name_extraction_reads_promql_as_prometheus_does():
    assert metric_names('histogram_quantile(0.95, sum by (le, endpoint) (rate(x_bucket{job="idp",a=~"b(c)"}[5m])))') \
        == {"x_bucket"}
    assert metric_names("time() - max(y_seconds{job=\"idp\"}) > 86400 and on(instance) up == 0") == {"y_seconds", "up"}


@pytest.mark.skipif(not PROMTOOL, reason="promtool (Debian's prometheus) is not installed (.ci/run installs it)")
def test_every_alert_has_a_unit_test_that_fires_it():
    with open(os.path.join(PROMETHEUS, "alerts.test.yml")) as handle:
        cases = [case for test in yaml.safe_load(handle)["tests"] for case in test["alert_rule_test"]]
    fired = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    names = {rule["alert"] for rule in alerts()}
    assert names - fired == set(), "alerts no unit test fires"
    assert names - quiet == set(), "alerts no unit test shows quiet"
    result = subprocess.run([PROMTOOL, "test", "rules", "alerts.test.yml"], cwd=PROMETHEUS, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def exported_series(scrape: str) -> dict[str, set[str]]:
    """Series name -> the label names it carries, from a Prometheus text exposition."""
    series: dict[str, set[str]] = {}
    for line in scrape.splitlines():
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ", line)
        if match and not line.startswith("#"):
            labels = set(re.findall(r'(\w+)="', match.group(3) or ""))
            series.setdefault(match.group(1), set()).update(labels)
    return series


@pytest.mark.parametrize("source", ["dashboard", "alerts"])
def test_every_metric_the_dashboard_and_the_alerts_query_is_exported_by_a_live_server(idp, source):
    if idp.backend != "postgres":
        pytest.skip("the production deployment's metrics (PostgreSQL and Redis)")
    exprs = queries() if source == "dashboard" else [rule["expr"] for rule in alerts()]
    # Labelled series exist once something was counted: a page, a document and a token.
    service, secret = idp.create_client(name="Metrics", redirect_uris=[], grant_types=["client_credentials"],
                                        scope="api:read")
    client_credentials_token(idp, service, secret)
    for path in ("/health", "/jwks.json", "/login"):
        requests.get(idp.endpoint(path), timeout=5)
    series = exported_series(idp.scrape())
    missing, unlabelled = [], []
    for expr in exprs:
        for name in metric_names(expr) - SCRAPE_SERIES:
            if name not in series:
                missing.append((name, expr))
            elif grouping_labels(expr) - series[name]:
                unlabelled.append((name, grouping_labels(expr) - series[name], expr))
    assert missing == [] and unlabelled == [], (missing, unlabelled)
