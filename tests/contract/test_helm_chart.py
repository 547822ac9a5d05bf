"""Contract tests of the Helm chart (deploy/helm/notify): it lints, renders valid Kubernetes
objects with the default and the production-like values, and declares exactly the topics and
consumer groups the code declares.

Helm comes from the repository's state directory (.local/bin/helm); when it is missing, the
pinned version is installed by deploy/helm/install-helm.sh, so these tests never skip. Rendered
objects are checked offline against the Kubernetes JSON schemas bundled by kubernetes-validate,
in strict mode (unknown fields are errors); the custom resources (Strimzi, KEDA) are checked
for their structure here (the Prometheus Operator's too).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from notify_common import topics

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "notify"
INSTALL_HELM = ROOT / "deploy" / "helm" / "install-helm.sh"
STATE = Path(os.environ.get("NOTIFY_STATE_DIR", str(ROOT / ".local")))
HELM = STATE / "bin" / "helm"
KUBE_VERSION = "1.33"
VALUES = {
    "default": CHART / "ci" / "default-values.yaml",
    "production": CHART / "ci" / "production-values.yaml",
}
RELEASE = "notify"

SERVICES = {
    "api-gateway",
    "admin-api",
    "job-splitter",
    "sms-sender",
    "email-sender",
    "letter-sender",
    "receipts",
    "projector",
    "callbacks",
    "provider-simulator",
    "document-download",
    "analytics",
    "admin-console",
}
HTTP_SERVICES = {
    "api-gateway",
    "admin-api",
    "receipts",
    "provider-simulator",
    "document-download",
    "admin-console",
    "analytics",
}
# Services that call out (providers, callback URLs: up to 30 s a call) and then commit.
CALLING_OUT = {"sms-sender", "email-sender", "letter-sender", "callbacks"}
LONGEST_CALL_SECONDS = 30
CUSTOM_API_GROUPS = ("kafka.strimzi.io/", "keda.sh/", "monitoring.coreos.com/")
TMP = "/tmp"  # noqa: S108 - where the pods' emptyDir is mounted
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what the services must listen on inside a pod

Manifest = dict[str, Any]

# The first run builds helm (a few minutes); the checks themselves take seconds.
pytestmark = pytest.mark.timeout(1200)


# --- helm ----------------------------------------------------------------------------------------


@cache
def helm_binary() -> Path:
    """The pinned helm; the install script returns at once when it is already in place."""
    subprocess.run(["bash", str(INSTALL_HELM)], check=True, timeout=1200)
    assert HELM.is_file(), f"{INSTALL_HELM} did not produce {HELM}"
    return HELM


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm_binary()), *args], capture_output=True, text=True, timeout=120, check=False
    )


@cache
def render(values: str, *sets: str) -> tuple[Manifest, ...]:
    """`helm template` with one of the ci/ values files and --set overrides, as parsed objects."""
    args = ["template", RELEASE, str(CHART), "--namespace", "notify", "--kube-version", KUBE_VERSION]
    args += ["-f", str(VALUES[values])]
    for item in sets:
        args += ["--set", item]
    result = run_helm(*args)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render_fails(*sets: str, values: str | None = None) -> str:
    """Renders expecting failure; returns helm's error output."""
    args = ["template", RELEASE, str(CHART), "--kube-version", KUBE_VERSION]
    if values is not None:
        args += ["-f", str(VALUES[values])]
    for item in sets:
        args += ["--set", item]
    result = run_helm(*args)
    assert result.returncode != 0, "helm template should have refused these values"
    return result.stderr


def of_kind(docs: Iterable[Manifest], kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(doc: Manifest) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def by_component(docs: Iterable[Manifest], kind: str) -> dict[str, Manifest]:
    return {component(d): d for d in docs if d["kind"] == kind}


def ci_values(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load(VALUES[name].read_text())
    assert isinstance(loaded, dict)
    return loaded


def chart_defaults() -> dict[str, Any]:
    loaded = yaml.safe_load((CHART / "values.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def partition_cap(group: str) -> int:
    """From the code: the most partitions among the topics a consumer group reads."""
    return max(topics.TOPICS_BY_NAME[name].partitions for name in topics.topics_read_by(group))


def values_key(service: str) -> str:
    head, *rest = service.split("-")
    return head + "".join(word.capitalize() for word in rest)


def pod_templates(docs: Iterable[Manifest]) -> dict[str, Manifest]:
    """Every pod template the chart renders: Deployments and the migration Job."""
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    }


def env_of(container: Manifest) -> dict[str, Manifest]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.fixture(params=sorted(VALUES))
def values(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- lint, render, validate ------------------------------------------------------------------------


def test_the_chart_passes_helm_lint_strict(values: str) -> None:
    result = run_helm(
        "lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION, "-f", str(VALUES[values])
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_helm_is_the_pinned_version() -> None:
    pinned = next(
        line.split('"')[1].split(":-")[1].rstrip("}")
        for line in INSTALL_HELM.read_text().splitlines()
        if line.startswith("HELM_VERSION=")
    )
    assert run_helm("version", "--template", "{{.Version}}").stdout.strip() == pinned


# The ci/ files, and the branches they leave out: credentials as values, an inline CA, static AWS
# keys, KEDA, network policies without scrapers, Strimzi topics, no ServiceAccount of our own.
RENDER_CASES: dict[str, tuple[str, ...]] = {
    "default": ("default",),
    "production": ("production",),
    "every-other-option": (
        "default",
        "kafka.securityProtocol=SASL_SSL",
        "kafka.sasl.username=notify",
        "kafka.sasl.password=secret",
        "kafka.tls.caCert=-----BEGIN CERTIFICATE-----",
        "aws.accessKeyId=AKIAEXAMPLE",
        "aws.secretAccessKey=example",
        "aws.endpointUrl=http://moto:5000",
        "networkPolicy.enabled=true",
        "smsSender.autoscaling.keda.enabled=true",
        "projector.autoscaling.enabled=true",
        "projector.autoscaling.targetMemoryUtilizationPercentage=80",
        "serviceAccount.create=false",
        "apiGateway.ingress.enabled=true",
        "kafka.strimziTopics.enabled=true",
        "kafka.strimziTopics.clusterName=kafka",
        "callbacks.pdb.minAvailable=1",
        "adminConsole.ingress.enabled=true",
        "documentDownload.ingress.enabled=true",
        "monitoring.serviceMonitor.enabled=true",
        "monitoring.prometheusRule.enabled=true",
        "monitoring.grafanaDashboard.enabled=true",
    ),
}


@pytest.mark.parametrize("case", sorted(RENDER_CASES))
def test_every_rendered_object_is_valid_for_kubernetes(case: str) -> None:
    validated = []
    for doc in render(*RENDER_CASES[case]):
        if doc["apiVersion"].startswith(CUSTOM_API_GROUPS):
            continue
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {error.message} at {list(error.path)}")
        validated.append(doc["kind"])
    assert {"Deployment", "Service", "ConfigMap", "Secret", "Job", "PodDisruptionBudget"} <= set(validated)
    assert len(validated) >= 20


def test_the_offline_validation_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(of_kind(render("default"), "Deployment")["notify-sms-sender"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSION, strict=True)


def test_custom_resources_are_well_formed() -> None:
    docs = render("production", "smsSender.autoscaling.keda.enabled=true")
    custom = [d for d in docs if d["apiVersion"].startswith(CUSTOM_API_GROUPS)]
    assert {d["kind"] for d in custom} == {"KafkaTopic", "ScaledObject", "TriggerAuthentication"}
    for doc in custom:
        assert set(doc) == {"apiVersion", "kind", "metadata", "spec"}, doc["metadata"]["name"]
        assert doc["metadata"]["name"] == doc["metadata"]["name"].lower()
        assert len(doc["metadata"]["name"]) <= 253
    for topic in of_kind(docs, "KafkaTopic").values():
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        spec = topic["spec"]
        assert set(spec) == {"topicName", "partitions", "replicas", "config"}
        assert isinstance(spec["partitions"], int)
        assert spec["partitions"] >= 1
        assert isinstance(spec["config"]["retention.ms"], int)
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "notify-kafka"


# --- the topic declaration -----------------------------------------------------------------------


def test_the_chart_declares_exactly_the_topics_and_groups_the_code_declares() -> None:
    in_chart = json.loads((CHART / "files" / "topics.json").read_text())
    in_code = json.loads(json.dumps(topics.as_document()))
    assert in_chart == in_code, (
        "deploy/helm/notify/files/topics.json is stale: regenerate it with "
        "`uv run python -m notify_common.topics --json > deploy/helm/notify/files/topics.json`"
    )


def test_every_consumer_group_of_the_code_runs_as_a_capped_deployment(values: str) -> None:
    deployments = by_component(render(values), "Deployment")
    capped = {
        name: int(d["metadata"]["annotations"]["notify/max-useful-replicas"])
        for name, d in deployments.items()
        if "notify/max-useful-replicas" in d["metadata"].get("annotations", {})
    }
    assert capped == {group: partition_cap(group) for group in topics.CONSUMER_GROUPS}


def test_strimzi_topics_are_the_declared_topics_with_production_durability() -> None:
    rendered = {t["spec"]["topicName"]: t for t in of_kind(render("production"), "KafkaTopic").values()}
    assert set(rendered) == set(topics.TOPICS_BY_NAME)
    for name, declared in topics.TOPICS_BY_NAME.items():
        spec = rendered[name]["spec"]
        assert spec["partitions"] == declared.partitions, name
        assert spec["replicas"] == 3, name
        assert spec["config"] == {
            "retention.ms": declared.retention_ms,
            "cleanup.policy": declared.cleanup_policy,
            "min.insync.replicas": 2,
        }, name
        # Uninstalling the release must not delete the event log.
        assert rendered[name]["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_strimzi_topics_carry_the_topic_prefix() -> None:
    rendered = of_kind(render("production", "kafka.topicPrefix=Staging_"), "KafkaTopic")
    names = {t["spec"]["topicName"] for t in rendered.values()}
    assert names == {f"Staging_{name}" for name in topics.TOPICS_BY_NAME}
    assert all(name.startswith("staging-notify.") for name in rendered)


def test_no_kafka_topic_resources_unless_asked() -> None:
    assert of_kind(render("default"), "KafkaTopic") == {}
    assert ci_values("production")["kafka"]["provisionTopics"] is False


# --- workloads ------------------------------------------------------------------------------------


def test_one_deployment_per_service_and_the_simulator_only_when_enabled() -> None:
    assert set(by_component(render("default"), "Deployment")) == SERVICES
    assert set(by_component(render("production"), "Deployment")) == SERVICES - {"provider-simulator"}


def test_http_services_have_services_and_the_public_ones_ingresses() -> None:
    docs = render("production")
    services = by_component(docs, "Service")
    assert set(services) == HTTP_SERVICES - {"provider-simulator"}
    ingresses = by_component(docs, "Ingress")
    assert set(ingresses) == {"api-gateway", "receipts", "document-download", "admin-console"}
    for name, ingress in ingresses.items():
        assert ingress["spec"]["tls"], name
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                owner = "document-download" if path["path"] == "/unsubscribe" else name
                assert backend["name"] == services[owner]["metadata"]["name"]
                assert backend["port"] == {"name": "http"}
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"


def test_unsubscribe_links_on_the_api_host_reach_document_download() -> None:
    services = by_component(render("production"), "Service")
    for case in ("production", "every-other-option"):
        api = by_component(render(*RENDER_CASES[case]), "Ingress")["api-gateway"]
        for rule in api["spec"]["rules"]:
            routes = {
                p["path"]: (p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]
            }
            assert routes["/unsubscribe"] == ("Prefix", services["document-download"]["metadata"]["name"])


def test_pods_run_as_non_root_on_a_read_only_filesystem_without_capabilities(values: str) -> None:
    templates = pod_templates(render(values))
    assert len(templates) >= 9
    for where, template in templates.items():
        spec = template["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] == 10001, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            # A read-only root needs somewhere to write temporary files.
            assert {"name": "tmp", "mountPath": TMP} in container["volumeMounts"], where


def test_every_service_is_probed_on_its_health_endpoints(values: str) -> None:
    docs = render(values)
    config = next(iter(of_kind(docs, "ConfigMap").values()))["data"]
    assert config["NOTIFY_HTTP_PORT"] == "8080"
    assert config["NOTIFY_HTTP_HOST"] == ALL_INTERFACES
    for name, deployment in by_component(docs, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}], name
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name
        # The readiness check itself may take up to 5 s.
        assert container["readinessProbe"]["timeoutSeconds"] > 5, name


def test_services_that_call_out_get_time_to_finish_the_call_and_commit(values: str) -> None:
    for name, deployment in by_component(render(values), "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        grace = spec["terminationGracePeriodSeconds"]
        shutdown = float(env_of(spec["containers"][0])["NOTIFY_SHUTDOWN_GRACE_SECONDS"]["value"])
        assert 0 < shutdown < grace, name
        if name in CALLING_OUT:
            assert grace >= 60, name
            assert shutdown > LONGEST_CALL_SECONDS, name


def test_pods_use_the_release_service_account() -> None:
    docs = render("production")
    accounts = of_kind(docs, "ServiceAccount")
    assert accounts["notify"]["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/notify"
    }
    assert accounts["notify"]["automountServiceAccountToken"] is False
    for name, deployment in of_kind(docs, "Deployment").items():
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "notify", name


def test_service_links_are_off_so_no_stray_notify_variables_appear(values: str) -> None:
    for where, template in pod_templates(render(values)).items():
        assert template["spec"]["enableServiceLinks"] is False, where


# --- autoscaling and disruption budgets ---------------------------------------------------------


def test_autoscalers_are_rendered_and_consumers_capped_by_partitions() -> None:
    docs = render("production")
    hpas = by_component(docs, "HorizontalPodAutoscaler")
    asked = ci_values("production")
    enabled = {
        service
        for service in SERVICES
        if asked.get(values_key(service), {}).get("autoscaling", {}).get("enabled")
    }
    assert set(hpas) == enabled
    assert len(enabled) == 12
    capped = 0
    for name, hpa in hpas.items():
        wanted_max = asked[values_key(name)]["autoscaling"]["maxReplicas"]
        expected = min(wanted_max, partition_cap(name)) if name in topics.CONSUMER_GROUPS else wanted_max
        capped += expected < wanted_max
        assert hpa["spec"]["maxReplicas"] == expected, name
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"], name
        assert hpa["spec"]["scaleTargetRef"]["name"] == f"notify-{name}"
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # The production values ask some consumers for more than their partitions: the cap bites.
    assert capped >= 3
    assert hpas["sms-sender"]["spec"]["maxReplicas"] == 6
    assert hpas["letter-sender"]["spec"]["maxReplicas"] == 3
    assert hpas["api-gateway"]["spec"]["maxReplicas"] == 20


def test_an_autoscaled_deployment_leaves_its_replica_count_to_the_autoscaler() -> None:
    for name, deployment in by_component(render("production"), "Deployment").items():
        assert "replicas" not in deployment["spec"], name


def test_a_maximum_below_the_partition_count_is_kept() -> None:
    hpas = by_component(
        render("default", "smsSender.autoscaling.enabled=true", "smsSender.autoscaling.maxReplicas=4"),
        "HorizontalPodAutoscaler",
    )
    assert set(hpas) == {"sms-sender"}
    assert hpas["sms-sender"]["spec"]["maxReplicas"] == 4


def test_a_minimum_above_the_partition_count_is_capped_too() -> None:
    hpas = by_component(
        render(
            "default",
            "jobSplitter.autoscaling.enabled=true",
            "jobSplitter.autoscaling.minReplicas=5",
            "jobSplitter.autoscaling.maxReplicas=9",
        ),
        "HorizontalPodAutoscaler",
    )
    assert hpas["job-splitter"]["spec"]["minReplicas"] == partition_cap("job-splitter") == 3
    assert hpas["job-splitter"]["spec"]["maxReplicas"] == 3


def test_without_autoscaling_there_is_no_hpa_and_fixed_replicas_are_capped() -> None:
    docs = render("default", "letterSender.replicas=10", "apiGateway.replicas=10")
    assert of_kind(docs, "HorizontalPodAutoscaler") == {}
    deployments = by_component(docs, "Deployment")
    assert deployments["letter-sender"]["spec"]["replicas"] == partition_cap("letter-sender") == 3
    assert deployments["api-gateway"]["spec"]["replicas"] == 10
    assert deployments["sms-sender"]["spec"]["replicas"] == chart_defaults()["smsSender"]["replicas"]


def test_keda_scales_a_consumer_on_lag_instead_of_cpu_within_its_partitions() -> None:
    docs = render(
        "production", "smsSender.autoscaling.keda.enabled=true", "smsSender.autoscaling.maxReplicas=50"
    )
    assert "sms-sender" not in by_component(docs, "HorizontalPodAutoscaler")
    assert "replicas" not in by_component(docs, "Deployment")["sms-sender"]["spec"]
    scaled = of_kind(docs, "ScaledObject")["notify-sms-sender"]["spec"]
    assert scaled["scaleTargetRef"]["name"] == "notify-sms-sender"
    assert scaled["maxReplicaCount"] == partition_cap("sms-sender") == 6
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == "sms-sender"
    assert trigger["metadata"]["sasl"] == "scram_sha512"
    assert trigger["metadata"]["tls"] == "enable"
    auth = of_kind(docs, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]["spec"]
    refs = {r["parameter"]: (r["name"], r["key"]) for r in auth["secretTargetRef"]}
    assert refs["password"] == ("notify-kafka-user", "password")
    assert refs["ca"] == ("notify-kafka-cluster-ca-cert", "ca.crt")
    assert "username" in refs


def test_keda_is_refused_for_services_that_do_not_consume() -> None:
    stderr = render_fails("apiGateway.autoscaling.keda.enabled=true", values="default")
    assert "at '/apiGateway/autoscaling': additional properties 'keda' not allowed" in stderr


def test_disruption_budgets_cover_every_service_that_asks_for_one(values: str) -> None:
    docs = render(values)
    deployments = by_component(docs, "Deployment")
    budgets = by_component(docs, "PodDisruptionBudget")
    defaults = chart_defaults()
    wanted = {name for name in deployments if defaults[values_key(name)]["pdb"]["enabled"]}
    assert set(budgets) == wanted
    assert len(wanted) >= 8
    for name, budget in budgets.items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items(), name
        assert budget["spec"]["maxUnavailable"] == 1, name


# --- configuration and secrets -------------------------------------------------------------------


def test_production_takes_every_secret_from_existing_secrets() -> None:
    docs = render("production")
    sms = by_component(docs, "Deployment")["sms-sender"]["spec"]["template"]["spec"]["containers"][0]
    env = env_of(sms)
    expected = {
        "NOTIFY_DATABASE_URL": ("notify-database", "url"),
        "NOTIFY_REDIS_URL": ("notify-redis", "url"),
        "NOTIFY_SECRET_KEY": ("notify-secret-key", "secret-key"),
        "NOTIFY_KAFKA_SASL_PASSWORD": ("notify-kafka-user", "password"),
    }
    for name, (secret, key) in expected.items():
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": key}, name
    assert {"secretRef": {"name": "notify-providers"}} in sms["envFrom"]
    # The pod's identity (IRSA) stands in for static AWS keys.
    assert "AWS_ACCESS_KEY_ID" not in env
    secrets = of_kind(docs, "Secret")
    assert set(secrets) == {"notify"}
    assert set(secrets["notify"]["data"]) == {"kafka-sasl-username"}


def test_production_configuration_reaches_kafka_over_sasl_ssl_with_the_cluster_ca() -> None:
    docs = render("production")
    config = of_kind(docs, "ConfigMap")["notify"]["data"]
    assert config["NOTIFY_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config["NOTIFY_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert config["NOTIFY_KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"
    assert config["NOTIFY_KAFKA_PROVISION_TOPICS"] == "false"
    assert config["NOTIFY_ENVIRONMENT"] == "production"
    assert "NOTIFY_AWS_ENDPOINT_URL" not in config
    ca_path = Path(config["NOTIFY_KAFKA_SSL_CAFILE"])
    for name, deployment in by_component(docs, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
        assert mounts["kafka-ca"]["mountPath"] == str(ca_path.parent), name
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["kafka-ca"]["secret"]["secretName"] == "notify-kafka-cluster-ca-cert", name
        assert volumes["kafka-ca"]["secret"]["items"] == [{"key": "ca.crt", "path": ca_path.name}], name


def test_secrets_never_appear_in_the_config_map(values: str) -> None:
    config = of_kind(render(values), "ConfigMap")["notify"]["data"]
    assert not {"NOTIFY_DATABASE_URL", "NOTIFY_REDIS_URL", "NOTIFY_SECRET_KEY"} & set(config)
    assert not any("PASSWORD" in key for key in config)


def test_the_migration_job_runs_before_install_and_upgrade_with_the_migrate_image(values: str) -> None:
    docs = render(values)
    jobs = of_kind(docs, "Job")
    assert set(jobs) == {"notify-migrate"}
    job = jobs["notify-migrate"]
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "notify_common.db.migrate"]
    # The migrate image holds every service's package, so every service's migrations; it is named
    # and tagged like the services' images.
    api = by_component(docs, "Deployment")["api-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == api["image"].replace("-api-gateway:", "-migrate:")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # Nothing of the release exists before a pre-install hook: whatever the Job reads from the
    # chart is itself a hook that runs first.
    database = env_of(container)["NOTIFY_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    job_weight = int(annotations["helm.sh/hook-weight"])
    account = job["spec"]["template"]["spec"]["serviceAccountName"]
    for kind, name in (("Secret", database["name"]), ("ServiceAccount", account)):
        dependency = of_kind(docs, kind).get(name)
        if dependency is None:
            # Production reads the database URL from a Secret that exists before the release.
            assert (values, kind) == ("production", "Secret"), f"{kind}/{name} is missing"
            continue
        dependency_annotations = dependency["metadata"]["annotations"]
        assert "pre-install" in dependency_annotations["helm.sh/hook"], f"{kind}/{name}"
        assert int(dependency_annotations["helm.sh/hook-weight"]) < job_weight, f"{kind}/{name}"
    assert "envFrom" not in container


def test_pods_roll_when_configuration_changes() -> None:
    def checksums(*sets: str) -> tuple[str, str]:
        annotations = by_component(render("default", *sets), "Deployment")["projector"]["spec"]["template"][
            "metadata"
        ]["annotations"]
        return annotations["checksum/config"], annotations["checksum/secret"]

    base = checksums()
    assert checksums("config.logLevel=DEBUG")[0] != base[0]
    assert checksums("redis.url=redis://other:6379/0")[1] != base[1]


# --- values.schema.json and the chart's own checks ---------------------------------------------


def test_the_values_schema_rejects_a_replica_count_that_is_not_a_number() -> None:
    stderr = render_fails("smsSender.replicas=two", values="default")
    assert "values don't meet the specifications of the schema" in stderr
    assert "at '/smsSender/replicas': got string, want integer" in stderr


def test_the_values_schema_rejects_a_misspelt_setting() -> None:
    stderr = render_fails("smsSender.replica=3", values="default")
    assert "additional properties 'replica' not allowed" in stderr


def test_the_values_schema_rejects_an_unknown_kafka_protocol() -> None:
    stderr = render_fails("kafka.securityProtocol=TLS", values="default")
    assert "securityProtocol" in stderr


def test_installing_without_kafka_database_or_secret_key_says_what_is_missing() -> None:
    assert "kafka.bootstrapServers is required" in render_fails()
    assert "secretKey.value or secretKey.existingSecret is required" in render_fails(
        "kafka.bootstrapServers=k:9092", "database.url=postgresql://db/notify", "redis.url=redis://r:6379/0"
    )


def test_min_insync_replicas_above_the_replication_factor_is_refused() -> None:
    stderr = render_fails("kafka.minInsyncReplicas=3", "kafka.replicationFactor=2", values="production")
    assert "minInsyncReplicas" in stderr


# --- document-download ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(RENDER_CASES))
def test_document_download_gets_what_unsubscribe_requests_need_and_no_admin_secret(case: str) -> None:
    docs = render(*RENDER_CASES[case])
    deployment = by_component(docs, "Deployment")["document-download"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    secret_env = {name for name, entry in env_of(container).items() if "valueFrom" in entry}
    assert {"NOTIFY_REDIS_URL", "NOTIFY_DATABASE_URL", "NOTIFY_SECRET_KEY"} <= secret_env
    assert not secret_env & {"NOTIFY_ADMIN_API_TOKEN", "NOTIFY_CONSOLE_SECRET_KEY"}


def test_links_to_files_start_at_document_downloads_public_host() -> None:
    config = of_kind(render("production"), "ConfigMap")["notify"]["data"]
    assert config["NOTIFY_DOCUMENT_DOWNLOAD_URL"] == "https://documents.notify.example.org"
    default = of_kind(render("default"), "ConfigMap")["notify"]["data"]
    assert default["NOTIFY_DOCUMENT_DOWNLOAD_URL"] == "http://notify-document-download"
    configured = of_kind(
        render("default", "config.documentDownloadUrl=https://files.example.org"), "ConfigMap"
    )["notify"]["data"]
    assert configured["NOTIFY_DOCUMENT_DOWNLOAD_URL"] == "https://files.example.org"


# --- the admin console ----------------------------------------------------------------------------

CONSOLE_SECRETS = {"NOTIFY_ADMIN_API_TOKEN", "NOTIFY_CONSOLE_SECRET_KEY", "NOTIFY_SECRET_KEY"}
PLATFORM_CREDENTIALS = {
    "NOTIFY_DATABASE_URL",
    "NOTIFY_REDIS_URL",
    "NOTIFY_KAFKA_SASL_USERNAME",
    "NOTIFY_KAFKA_SASL_PASSWORD",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


def console_container(docs: Iterable[Manifest]) -> Manifest:
    deployment = by_component(docs, "Deployment")["admin-console"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(container)


def components(docs: Iterable[Manifest]) -> set[str]:
    return {component(d) for d in docs if "app.kubernetes.io/component" in d["metadata"].get("labels", {})}


def test_the_console_runs_by_default_behind_a_service_on_its_health_endpoints() -> None:
    docs = render("default")
    container = console_container(docs)
    assert container["image"] == "notify-admin-console:0.1.0"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    # The console's own /healthz and /readyz (notify_admin_console.app), public routes.
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    service = by_component(docs, "Service")["admin-console"]
    assert service["metadata"]["name"] == "notify-admin-console"
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    pod_labels = by_component(docs, "Deployment")["admin-console"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert "admin-console" in by_component(docs, "PodDisruptionBudget")


def test_the_console_reaches_the_admin_api_and_the_api_gateway_by_their_in_cluster_services(
    values: str,
) -> None:
    docs = render(values)
    for name, setting in (("api-gateway", "NOTIFY_API_BASE_URL"), ("admin-api", "NOTIFY_ADMIN_API_URL")):
        service = by_component(docs, "Service")[name]
        url = f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"
        assert env_of(console_container(docs))[setting] == {"name": setting, "value": url}
    # Everyone else keeps the public base URL of the ConfigMap.
    config = of_kind(docs, "ConfigMap")["notify"]["data"]
    if values == "production":
        assert config["NOTIFY_API_BASE_URL"] == "https://api.notify.example.org"


def test_the_console_and_the_admin_api_share_the_admin_token_through_secret_references(values: str) -> None:
    docs = render(values)
    console = env_of(console_container(docs))
    api = env_of(by_component(docs, "Deployment")["admin-api"]["spec"]["template"]["spec"]["containers"][0])
    for name in CONSOLE_SECRETS:
        assert "value" not in console[name], name
        assert set(console[name]["valueFrom"]) == {"secretKeyRef"}, name
    token = console["NOTIFY_ADMIN_API_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert api["NOTIFY_ADMIN_API_TOKEN"]["valueFrom"]["secretKeyRef"] == token
    session = console["NOTIFY_CONSOLE_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
    if values == "production":
        assert token == {"name": "notify-admin-api-token", "key": "token"}
        assert session == {"name": "notify-console-secret-key", "key": "secret-key"}
    else:
        assert token == {"name": "notify", "key": "admin-api-token"}
        assert session == {"name": "notify", "key": "console-secret-key"}
        assert {"admin-api-token", "console-secret-key"} <= set(of_kind(docs, "Secret")["notify"]["data"])
    # The values themselves appear nowhere but base64-encoded in the chart's Secret.
    rendered = json.dumps(docs)
    for secret in (
        ci_values("default")["adminApiToken"]["value"],
        ci_values("default")["adminConsole"]["secretKey"]["value"],
    ):
        assert secret not in rendered
    # Only the admin-api and the console hold the admin token, only the console the session key.
    for name, deployment in by_component(docs, "Deployment").items():
        env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
        assert ("NOTIFY_ADMIN_API_TOKEN" in env) == (name in {"admin-api", "admin-console"}), name
        assert ("NOTIFY_CONSOLE_SECRET_KEY" in env) == (name == "admin-console"), name


@pytest.mark.parametrize("case", sorted(RENDER_CASES))
def test_the_console_gets_no_database_redis_kafka_aws_or_provider_credentials(case: str) -> None:
    container = console_container(render(*RENDER_CASES[case]))
    secret_env = {name for name, entry in env_of(container).items() if "valueFrom" in entry}
    assert secret_env == CONSOLE_SECRETS
    assert not PLATFORM_CREDENTIALS & set(env_of(container))
    assert container["envFrom"] == [{"configMapRef": {"name": "notify"}}]


def test_the_console_sets_secure_cookies_and_its_public_url_from_its_ingress() -> None:
    production = env_of(console_container(render("production")))
    assert production["NOTIFY_CONSOLE_SECURE_COOKIES"]["value"] == "true"
    assert production["NOTIFY_CONSOLE_URL"]["value"] == "https://console.notify.example.org"
    default = env_of(console_container(render("default")))
    assert default["NOTIFY_CONSOLE_SECURE_COOKIES"]["value"] == "true"
    assert "NOTIFY_CONSOLE_URL" not in default
    development = env_of(
        console_container(
            render("default", "environment=development", "adminConsole.url=http://console.test")
        )
    )
    assert development["NOTIFY_CONSOLE_SECURE_COOKIES"]["value"] == "false"
    assert development["NOTIFY_CONSOLE_URL"]["value"] == "http://console.test"


def test_every_service_is_scraped_for_metrics_on_the_port_that_serves_them() -> None:
    docs = render("default")
    serving_port = of_kind(docs, "ConfigMap")["notify"]["data"]["NOTIFY_HTTP_PORT"]
    deployments = by_component(docs, "Deployment")
    assert "admin-console" in deployments
    for name, deployment in deployments.items():
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/path"] == "/metrics", name
        assert annotations["prometheus.io/port"] == serving_port, name
        [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name]
        assert [p["containerPort"] for p in container["ports"]] == [int(serving_port)], name


def test_the_console_network_policy_reaches_only_the_admin_api_api_gateway_analytics_and_dns() -> None:
    docs = render("production")
    policies = by_component(docs, "NetworkPolicy")
    policy = policies["admin-console"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    # People reach it through the ingress controller, on its port.
    assert policy["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]
    *to_services, dns = policy["egress"]
    reached = []
    for rule, name in zip(to_services, ("admin-api", "api-gateway", "analytics"), strict=True):
        deployment = by_component(docs, "Deployment")[name]
        pods = deployment["spec"]["template"]["metadata"]["labels"]
        (port,) = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
        (peer,) = rule["to"]
        assert set(peer) == {"podSelector"}
        assert peer["podSelector"]["matchLabels"].items() <= pods.items()
        reached.append(peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"])
        assert rule["ports"] == [{"port": port["containerPort"], "protocol": "TCP"}]
    assert reached == ["admin-api", "api-gateway", "analytics"]
    assert dns == {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    # No other service's egress is restricted by the chart.
    for name, other in policies.items():
        if name != "admin-console":
            assert other["spec"]["policyTypes"] == ["Ingress"], name


def test_only_the_console_and_the_scrapers_reach_the_admin_api_which_has_no_ingress() -> None:
    docs = render("production")
    (scraper,) = ci_values("production")["networkPolicy"]["scrapers"]
    assert "admin-api" not in by_component(docs, "Ingress")
    policy = by_component(docs, "NetworkPolicy")["admin-api"]["spec"]
    console_pods = by_component(docs, "Deployment")["admin-console"]["spec"]["template"]["metadata"]["labels"]
    (rule,) = policy["ingress"]
    console_peer, scraper_peer = rule["from"]
    assert console_peer["podSelector"]["matchLabels"].items() <= console_pods.items()
    assert console_peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "admin-console"
    assert scraper_peer == scraper
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    # The api-gateway no longer holds the admin token: nothing there checks it.
    api = by_component(docs, "Deployment")["api-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert "NOTIFY_ADMIN_API_TOKEN" not in env_of(api)


def test_disabling_the_console_removes_every_object_and_secret_of_it(values: str) -> None:
    docs = render(values, "adminConsole.enabled=false")
    assert "admin-console" not in components(docs)
    assert "admin-console" in components(render(values))
    for secret in of_kind(docs, "Secret").values():
        assert "console-secret-key" not in secret.get("data", {})
    # The admin API keeps its token for other callers.
    api = by_component(docs, "Deployment")["admin-api"]["spec"]["template"]["spec"]["containers"][0]
    assert "NOTIFY_ADMIN_API_TOKEN" in env_of(api)


def test_without_the_console_neither_its_secrets_nor_an_admin_token_are_required() -> None:
    docs = render(
        "default", "adminConsole.enabled=false", "adminConsole.secretKey.value=", "adminApiToken.value="
    )
    assert "admin-console" not in components(docs)
    assert set(of_kind(docs, "Secret")["notify"]["data"]) == {"database-url", "redis-url", "secret-key"}
    api = by_component(docs, "Deployment")["admin-api"]["spec"]["template"]["spec"]["containers"][0]
    assert "NOTIFY_ADMIN_API_TOKEN" not in env_of(api)


def test_the_console_without_its_secrets_the_admin_api_or_the_api_gateway_says_what_is_missing() -> None:
    assert "adminApiToken.value or adminApiToken.existingSecret is required" in render_fails(
        "adminApiToken.value=", values="default"
    )
    assert (
        "adminConsole.secretKey.value or adminConsole.secretKey.existingSecret is required"
        in render_fails("adminConsole.secretKey.value=", values="default")
    )
    for disabled in ("apiGateway.enabled=false", "adminApi.enabled=false"):
        assert "the admin console reaches the platform only through the admin-api and the api-gateway" in (
            render_fails(disabled, "migrations.enabled=false", values="default")
        )


def test_the_values_schema_rejects_a_short_console_session_key() -> None:
    stderr = render_fails("adminConsole.secretKey.value=too-short", values="default")
    assert "at '/adminConsole/secretKey/value'" in stderr


# --- monitoring: Prometheus Operator and Grafana -------------------------------------------------

MONITORING_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
MONITORING_ON = (
    "monitoring.serviceMonitor.enabled=true",
    "monitoring.prometheusRule.enabled=true",
    "monitoring.grafanaDashboard.enabled=true",
)
RULE_FILES = ROOT / "deploy" / "prometheus" / "rules"
DASHBOARD = ROOT / "deploy" / "grafana" / "notify-platform.json"


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    """Whether a Kubernetes label selector (matchLabels, matchExpressions with In) selects labels."""
    if not selector["matchLabels"].items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def test_no_monitoring_objects_unless_asked(values: str) -> None:
    docs = render(values)
    assert not [d for d in docs if d["kind"] in MONITORING_KINDS]
    assert "notify-grafana-dashboard" not in of_kind(docs, "ConfigMap")
    assert chart_defaults()["monitoring"]["serviceMonitor"]["enabled"] is False
    assert chart_defaults()["monitoring"]["prometheusRule"]["enabled"] is False
    assert chart_defaults()["monitoring"]["grafanaDashboard"]["enabled"] is False


def test_the_monitors_scrape_each_service_that_serves_metrics_once_with_its_name_as_job(values: str) -> None:
    docs = render(values, *MONITORING_ON)
    service_monitor = of_kind(docs, "ServiceMonitor")["notify"]["spec"]
    pod_monitor = of_kind(docs, "PodMonitor")["notify"]["spec"]
    deployments = by_component(docs, "Deployment")
    annotated = {
        name
        for name, d in deployments.items()
        if d["spec"]["template"]["metadata"]["annotations"].get("prometheus.io/scrape") == "true"
    }
    through_services = {
        component(s)
        for s in of_kind(docs, "Service").values()
        if selects(service_monitor["selector"], s["metadata"]["labels"])
    }
    through_pods = {
        name
        for name, d in deployments.items()
        if selects(pod_monitor["selector"], d["spec"]["template"]["metadata"]["labels"])
    }
    assert through_services == annotated & HTTP_SERVICES
    assert through_pods == annotated - HTTP_SERVICES
    assert "sms-sender" in through_pods
    assert "api-gateway" in through_services
    # The job label is the service's name, which the alert rules and the dashboard select on.
    assert service_monitor["jobLabel"] == pod_monitor["jobLabel"] == "app.kubernetes.io/component"
    for name in through_services:
        assert (
            by_component(docs, "Service")[name]["metadata"]["labels"]["app.kubernetes.io/component"] == name
        )
    (endpoint,) = service_monitor["endpoints"]
    (pod_endpoint,) = pod_monitor["podMetricsEndpoints"]
    for scrape in (endpoint, pod_endpoint):
        assert scrape == {"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}


def test_the_prometheus_rule_is_made_from_the_platforms_rule_files() -> None:
    docs = render("production", "monitoring.prometheusRule.enabled=true", "monitoring.labels.release=kps")
    rule = of_kind(docs, "PrometheusRule")["notify"]
    assert set(rule) == {"apiVersion", "kind", "metadata", "spec"}
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kps"
    in_files = [
        group
        for path in sorted(RULE_FILES.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    assert rule["spec"]["groups"] == in_files
    assert "NotifyTenSecondPromiseFastBurn" in json.dumps(rule)
    # The chart reads the very files the local Prometheus and promtool read, not a copy.
    assert RULE_FILES.resolve() == (CHART / "files" / "prometheus" / "rules").resolve()


def test_the_dashboard_config_map_is_labelled_for_the_grafana_sidecar() -> None:
    docs = render(
        "default",
        "monitoring.grafanaDashboard.enabled=true",
        "monitoring.grafanaDashboard.namespace=monitoring",
        "monitoring.grafanaDashboard.annotations.grafana_folder=Notify",
    )
    config_map = of_kind(docs, "ConfigMap")["notify-grafana-dashboard"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "Notify"}
    assert json.loads(config_map["data"]["notify-platform.json"]) == json.loads(DASHBOARD.read_text())
    assert DASHBOARD.resolve() == (CHART / "files" / "grafana" / "notify-platform.json").resolve()
    # Its own namespace unless told otherwise; no monitor objects unless those are asked for.
    default = render("default", "monitoring.grafanaDashboard.enabled=true")
    assert of_kind(default, "ConfigMap")["notify-grafana-dashboard"]["metadata"]["namespace"] == "notify"
    assert not [d for d in default if d["kind"] in MONITORING_KINDS]


def test_the_monitoring_objects_are_well_formed_custom_resources() -> None:
    docs = render("default", *MONITORING_ON, "monitoring.labels.release=kps")
    custom = [d for d in docs if d["kind"] in MONITORING_KINDS]
    assert {d["kind"] for d in custom} == MONITORING_KINDS
    for doc in custom:
        assert set(doc) == {"apiVersion", "kind", "metadata", "spec"}, doc["kind"]
        assert doc["apiVersion"] == "monitoring.coreos.com/v1"
        assert doc["metadata"]["labels"]["release"] == "kps"
        assert doc["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE


def test_the_values_schema_rejects_a_misspelt_monitoring_setting() -> None:
    stderr = render_fails("monitoring.serviceMonitor.enable=true", values="default")
    assert "additional properties 'enable' not allowed" in stderr


# --- NOTES.txt -------------------------------------------------------------------------------------


def render_notes(tmp_path: Path, values: str, *sets: str) -> str:
    """NOTES.txt as `helm install` would print it. `helm template` skips the notes, so a copy of
    the chart renders them into a ConfigMap through `tpl`."""
    chart = tmp_path / "notify"
    shutil.copytree(CHART, chart)
    shutil.copy(chart / "templates" / "NOTES.txt", chart / "notes-probe.txt")
    (chart / "templates" / "notes-probe.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes-probe}\n"
        'data:\n  notes: {{ tpl (.Files.Get "notes-probe.txt") . | toJson }}\n'
    )
    args = [
        "template",
        RELEASE,
        str(chart),
        "-f",
        str(VALUES[values]),
        "--show-only",
        "templates/notes-probe.yaml",
    ]
    for item in sets:
        args += ["--set", item]
    result = run_helm(*args)
    assert result.returncode == 0, result.stderr
    return str(yaml.safe_load(result.stdout)["data"]["notes"])


def test_the_notes_name_each_consumer_ceiling_and_say_when_a_value_was_capped(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "default", "letterSender.replicas=5")
    assert "letter-sender: at most 3 (5 asked for and capped" in notes
    assert "sms-sender: at most 6\n" in notes
    assert "provider simulator is enabled" in notes
    assert "kafka.replicationFactor is 1" in notes
    assert "port-forward svc/notify-admin-console 6027:80" in notes
    assert "downloaded from: http://notify-document-download (no ingress: recipients cannot" in notes


def test_the_production_notes_raise_no_durability_or_simulator_warning(tmp_path: Path) -> None:
    notes = render_notes(tmp_path, "production")
    assert "https://api.notify.example.org" in notes
    assert "Admin console: https://console.notify.example.org" in notes
    assert "Files sent by email are downloaded from: https://documents.notify.example.org\n" in notes
    assert "provider simulator" not in notes
    assert "replicationFactor" not in notes
