"""The deployment kit (Dockerfile, deploy/compose.yaml, deploy/k8s, deploy/grafana) parses, is
valid against its schemas, and agrees with the app: its variables, routes, ports and user.

Docker has no engine here, so the image is checked by reading its Dockerfile; the Kubernetes
manifests are validated offline against the API schemas kubernetes-validate ships."""

from __future__ import annotations

import glob
import json
import os
import re
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml

from idp.config import Config
from idp.observability.metrics import MULTIPROC_ENV

from .test_metrics import sample

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "k8s")


def k8s_documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        if os.path.basename(path) == "kustomization.yaml":
            continue
        with open(path) as handle:
            docs += [(os.path.basename(path), doc) for doc in yaml.safe_load_all(handle) if doc]
    return docs


def k8s(kind: str, name: str | None = None) -> dict:
    found = [doc for _, doc in k8s_documents() if doc["kind"] == kind and name in (None, doc["metadata"]["name"])]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def variables_the_app_reads() -> set[str]:
    """Every variable Config.from_env looks up (it is the only reader), plus prometheus_client's."""

    class Recorder(dict):
        def get(self, key, default=None):
            self.setdefault("_seen", set()).add(key)
            return default

    env = Recorder()
    Config.from_env(env)
    return env["_seen"] | {MULTIPROC_ENV}


def dockerfile() -> str:
    with open(os.path.join(ROOT, "Dockerfile")) as handle:
        return handle.read()


def compose(name: str = "compose.yaml") -> dict:
    with open(os.path.join(ROOT, "deploy", name)) as handle:
        return yaml.safe_load(handle)


def substituted(environment: dict) -> dict:
    """The ${VAR:?…} placeholders replaced with sample values."""
    samples = {"ISSUER": "https://id.example.com", "LOG_LEVEL": "INFO", "METRICS_TOKEN": ""}

    def substitute(value: str) -> str:
        return re.sub(r"\$\{(\w+)[^}]*\}", lambda m: samples.get(m.group(1), "x9" * 20 + m.group(1)), str(value))

    return {key: substitute(value) for key, value in environment.items()}


# -- Kubernetes ------------------------------------------------------------------
@pytest.mark.parametrize("name, doc", k8s_documents(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_kubernetes_manifest_is_valid_against_the_api_schema(name, doc):
    kubernetes_validate.validate(doc, "1.30.0", strict=True)


def test_the_schema_validation_rejects_a_wrong_manifest():
    broken = json.loads(json.dumps(k8s("Deployment")))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["paht"] = "/health"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30.0", strict=True)


def test_every_variable_the_app_reads_is_in_the_configmap_or_the_secret_template():
    provided = set(k8s("ConfigMap", "idp-config")["data"]) | set(k8s("Secret", "idp-secrets")["stringData"])
    assert variables_the_app_reads() - provided == set()
    assert provided - variables_the_app_reads() == set()  # nothing stale either


def test_secret_template_holds_the_secrets_and_the_configmap_none():
    secret = k8s("Secret", "idp-secrets")["stringData"]
    assert {"DATABASE_URL", "REDIS_URL", "SESSION_SECRET", "KEY_ENCRYPTION_KEY"} <= set(secret)
    assert all(value in ("", "CHANGE_ME") or "CHANGE_ME" in value for value in secret.values())
    assert not {"SESSION_SECRET", "KEY_ENCRYPTION_KEY", "METRICS_TOKEN"} & set(k8s("ConfigMap")["data"])


def test_probes_point_at_real_routes_and_ports(idp):
    if idp.backend != "postgres":
        pytest.skip("routes are the same on both backends")
    container = k8s("Deployment")["spec"]["template"]["spec"]["containers"][0]
    routes = {rule.rule for rule in idp.app.url_map.iter_rules()}
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    probes = {kind: container[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe", "startupProbe")}
    assert probes["livenessProbe"]["path"] == "/health" and probes["readinessProbe"]["path"] == "/ready"
    for probe in probes.values():
        assert probe["path"] in routes and probe["port"] in ports
    config = k8s("ConfigMap")["data"]
    assert ports == {"http": int(config["PORT"]), "metrics": int(config["METRICS_PORT"])}


def test_pods_run_non_root_on_a_read_only_root_filesystem():
    for workload in (k8s("Deployment"), k8s("Job"), k8s("CronJob")["spec"]["jobTemplate"]):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 1001
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert [m["mountPath"] for m in container["volumeMounts"]] == ["/tmp"]  # the only writable place
    assert k8s("ConfigMap")["data"][MULTIPROC_ENV].startswith("/tmp/")


def test_migrations_run_only_in_the_job():
    assert k8s("Job")["spec"]["template"]["spec"]["containers"][0]["command"] == ["idp", "db", "upgrade"]
    assert k8s("Deployment")["spec"]["template"]["spec"]["containers"][0]["command"] == ["idp", "serve"]


def test_the_purge_cronjob_runs_idp_db_purge_one_at_a_time_with_the_app_settings():
    """docs/retention.md: the alternative to the in-app schedule; both share one lock."""
    cronjob = k8s("CronJob", "idp-purge")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    minute, hour, *rest = cronjob["spec"]["schedule"].split()
    assert minute.isdigit() and hour == "*" and rest == ["*", "*", "*"]  # hourly: well inside the day-long alert
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] < 3600  # one run ends before the next is due
    container = job["template"]["spec"]["containers"][0]
    assert container["command"] == ["idp", "db", "purge"]
    assert container["envFrom"] == k8s("Deployment")["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    config = Config.from_env(k8s("ConfigMap")["data"] | {"IDP_ENV": "development"})
    assert config.purge_interval == 3600 and config.audit_retention == 400 * 86400


def test_service_ingress_hpa_and_pdb_point_at_the_deployment():
    deployment = k8s("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    port_names = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    for name in ("idp", "idp-metrics"):
        service = k8s("Service", name)
        assert service["spec"]["selector"].items() <= labels.items()
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    backend = k8s("Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "idp", "port": {"name": "http"}}  # never the metrics port
    assert k8s("Ingress")["spec"]["tls"][0]["hosts"] == [urlparse(k8s("ConfigMap")["data"]["ISSUER"]).hostname]
    assert k8s("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert k8s("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert k8s("PodDisruptionBudget")["spec"]["minAvailable"] < k8s("HorizontalPodAutoscaler")["spec"]["minReplicas"]


def test_kustomization_lists_every_manifest_but_the_secret_template():
    with open(os.path.join(K8S, "kustomization.yaml")) as handle:
        listed = set(yaml.safe_load(handle)["resources"])
    files = {os.path.basename(p) for p in glob.glob(os.path.join(K8S, "*.yaml"))}
    assert listed == files - {"kustomization.yaml", "secret.template.yaml"}


# -- the image -------------------------------------------------------------------
def test_image_is_multi_stage_slim_and_runs_as_user_1001():
    text = dockerfile()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(stages) >= 2 and all(s.startswith("python:3.11-slim") for s in stages)
    final = text.split("\nFROM ")[-1]
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users and users[-1].split(":")[0] == "1001"
    assert re.search(r"useradd .*--uid 1001", final)


def test_image_holds_no_secret_or_dev_key():
    text = dockerfile()
    sources = [s for line in re.findall(r"^COPY\s+(?!--from)(.+)$", text, re.M)
               for s in line.split()[:-1] if not s.startswith("--")]
    assert set(sources) <= {"pyproject.toml", "idp", "migrations", "templates", "alembic.ini"}, sources
    assert not re.search(r"^ENV\s.*(SECRET|KEY_ENCRYPTION|PASSWORD|TOKEN)", text, re.M)
    with open(os.path.join(ROOT, ".dockerignore")) as handle:
        ignored = set(handle.read().split())
    assert {"keys/", ".env", ".env.*", ".git", "data/"} <= ignored


def test_image_checks_health_and_never_migrates_by_itself():
    text = dockerfile()
    healthcheck = re.search(r"^HEALTHCHECK .*?(?=^\S)", text, re.M | re.S).group(0)
    assert "/health" in healthcheck
    assert re.findall(r"^CMD (.+)$", text, re.M)[-1] == '["idp", "serve"]'
    assert "db upgrade" not in text.split("\nFROM ")[-1].replace("`idp db upgrade`", "")


# -- compose ---------------------------------------------------------------------
def test_compose_runs_postgres_redis_the_idp_and_nginx():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "idp", "nginx"}
    redis_cmd = services["redis"]["command"]
    assert redis_cmd[redis_cmd.index("--appendonly") + 1] == "yes" and "--requirepass" in redis_cmd
    assert services["migrate"]["command"] == ["idp", "db", "upgrade"]
    assert services["idp"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["idp"]["read_only"] is True
    for volume in services["nginx"]["volumes"]:
        assert os.path.exists(os.path.join(ROOT, "deploy", volume.split(":")[0]))


def test_compose_gives_the_idp_every_variable_production_requires():
    """Substitute the ${VAR:?…} placeholders with sample values: the production config must accept it."""
    environment = compose()["services"]["idp"]["environment"]
    env = substituted(environment)
    config = Config.from_env(env)
    assert config.production and config.issuer.startswith("https://")
    assert set(environment) <= variables_the_app_reads()
    hosts = {urlparse(env["DATABASE_URL"]).hostname, urlparse(env["REDIS_URL"]).hostname}
    assert hosts <= set(compose()["services"])
    nginx_address = compose()["services"]["nginx"]["networks"]["idp"]["ipv4_address"]
    assert config.trusted_proxies == (f"{nginx_address}/32",)


def test_the_ha_compose_runs_three_replicas_over_sentinel_and_a_postgres_replica():
    """Issue 18's topology: the IdP accepts its URLs, and every host they name is a service."""
    services = compose("compose.ha.yaml")["services"]
    assert services["idp"]["deploy"]["replicas"] == 3
    assert {"sentinel-1", "sentinel-2", "sentinel-3", "redis-primary", "redis-replica",
            "postgres-primary", "postgres-replica", "migrate", "nginx"} <= set(services)
    assert "--replicaof" in services["redis-replica"]["command"]
    assert services["postgres-replica"]["environment"]["POSTGRESQL_MASTER_HOST"] == "postgres-primary"
    env = substituted(services["idp"]["environment"])
    config = Config.from_env(env)
    assert config.production and set(services["idp"]["environment"]) <= variables_the_app_reads()
    from idp.store.redis_client import parse

    redis_target = parse(config.redis_url)
    assert redis_target.kind == "sentinel" and {h for h, _ in redis_target.hosts} <= set(services)
    for url in (env["DATABASE_URL"], env["DATABASE_READ_URL"]):
        hosts = {h.split(":")[0] for h in url.split("@", 1)[1].split("/", 1)[0].split(",")}
        assert hosts == {"postgres-primary", "postgres-replica"}
    for volume in services["nginx"]["volumes"]:
        assert os.path.exists(os.path.join(ROOT, "deploy", volume.split(":")[0]))


# -- Grafana ---------------------------------------------------------------------
def test_dashboard_panels_query_metrics_the_app_exports(idp):
    with open(os.path.join(ROOT, "deploy", "grafana", "idp-dashboard.json")) as handle:
        dashboard = json.load(handle)
    titles = {panel["title"] for panel in dashboard["panels"]}
    assert {"Request rate", "Latency percentiles", "Active sessions", "Failed logins", "Tokens issued"} <= titles
    exported = idp.scrape()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in re.findall(r"\b([a-z_]+(?:_total|_seconds_bucket))\b", target["expr"]):
                assert f"\n{name}" in exported or f"# TYPE {name.removesuffix('_bucket')} " in exported, name
    assert sample(exported, "active_sessions_total") >= 0
