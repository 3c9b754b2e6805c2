"""Every YAML and JSON file of the kit loads with a loader that refuses duplicate keys (issue 31:
deploy/k8s/configmap.yaml named ADMIN_API_RATE_LIMIT and ADMIN_API_RATE_WINDOW twice, so
`kubectl kustomize` failed, and the ECS, Cloud Run and ACI files repeated them; yaml.safe_load
accepted it all), and the Kubernetes kit builds with kubectl and validates against the API schema."""

from __future__ import annotations

import os
import shutil
import subprocess

import kubernetes_validate
import pytest

from .strict_files import ROOT, DuplicateKey, kit_files, load_strict


@pytest.mark.parametrize("path", kit_files())
def test_kit_file_has_no_duplicate_key_or_variable(path):
    assert load_strict(os.path.join(ROOT, path))


def test_the_strict_loaders_refuse_what_safe_load_accepts(tmp_path):
    cases = {
        "map.yaml": "data:\n  A: '1'\n  B: '2'\n  A: '3'\n",
        "env.yaml": "env:\n  - name: A\n    value: '1'\n  - name: A\n    value: '2'\n",
        "map.json": '{"a": 1, "b": {"c": 1, "c": 2}}',
        "env.json": '{"environment": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(DuplicateKey):
            load_strict(str(tmp_path / name))
    (tmp_path / "merge.yaml").write_text("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n")
    assert load_strict(str(tmp_path / "merge.yaml")) == [{"base": {"x": 1}, "derived": {"x": 1, "y": 2}}]


KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(not KUBECTL and not os.environ.get("CI"), reason="kubectl is not installed")
def test_kubectl_kustomize_builds_the_kit_and_every_object_validates():
    """What `kubectl apply -k deploy/k8s` and deploy-k8s.sh first do: build the kustomization."""
    built = subprocess.run([KUBECTL or "kubectl", "kustomize", os.path.join(ROOT, "deploy", "k8s")],
                           capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"kustomized-{os.getpid()}.yaml")
    with open(path, "w") as handle:
        handle.write(built.stdout)
    try:
        objects = load_strict(path)
    finally:
        os.remove(path)
    kinds = {obj["kind"] for obj in objects}
    assert {"Namespace", "ConfigMap", "Deployment", "Service", "Job", "CronJob"} <= kinds, kinds
    for obj in objects:
        kubernetes_validate.validate(obj, "1.30.0", strict=True)
