"""Preview and publish through a real Celery worker process on Redis, on real repositories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors import samples
from connectors.models import Connector, ConnectorStaged, PipelineRun
from tests.conftest import draft_body

from .conftest import finding_changes, wait_for

pytestmark = pytest.mark.worker

CHECK_TITLES = [
    "Connector specification file validation",
    "Repository structure",
    "Dependency analysis",
    "Code analysis",
    "Secret scanning",
]


def create(api, repository, key="connector-key"):
    response = api.post("/connectors/drafts", draft_body(repository.url, key=key))
    assert response.status_code == 201, response.content
    return response.json()


def act(api, draft, *actions):
    response = api.post(
        f"/connectors/drafts/{draft['id']}", {"version": draft["version"], "actions": list(actions)}
    )
    assert response.status_code == 201, response.content
    return response.json()


def settled(api, draft_id, field, waiting):
    def check():
        body = api.get(f"/connectors/drafts/{draft_id}").json()
        return body if body[field] != waiting else None

    return wait_for(check, timeout=180)


def assert_report_is_clean(entries):
    stamps = [e["createdAt"] for e in entries]
    assert all(s.endswith("Z") for s in stamps)
    parsed = [datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) for s in stamps]
    assert parsed == sorted(parsed)
    keys = [
        (e["type"], e["title"], e.get("message"), e.get("file"), e.get("line")) for e in entries
    ]
    assert len(keys) == len(set(keys)), "duplicated entries"


def test_preview_and_publish_of_the_good_connector_succeed(
    worker_factory, advisory_data, api, pipeline_repositories
):
    worker_factory()
    draft = create(api, pipeline_repositories["good"])
    pending = act(api, draft, {"action": "updatePreviewable"})
    assert pending["isPreviewable"] == "pending"
    done = settled(api, draft["id"], "isPreviewable", "pending")
    entries = done["previewableReport"]["entries"]
    assert done["isPreviewable"] == "true", entries
    assert done["version"] == pending["version"] + 1
    titles = [e["title"] for e in entries]
    for name in CHECK_TITLES:
        assert f"{name} check succeeded" in titles, titles
    assert titles.index(f"{CHECK_TITLES[0]} check succeeded") < titles.index(
        f"{CHECK_TITLES[-1]} check succeeded"
    )
    assert_report_is_clean(entries)

    processing = act(api, done, {"action": "publish", "certification": False})
    assert processing["status"] == "Processing"
    published = settled(api, draft["id"], "status", "Processing")
    assert published["status"] == "Published", published.get("publishingReport")
    assert published["hasChanges"] is False
    connector = Connector.objects.get(pk=draft["id"])
    assert (connector.version, connector.private, connector.certified) == (1, True, False)
    assert_report_is_clean(published["publishingReport"]["entries"])

    again = act(api, published, {"action": "publish", "certification": True})
    ready = settled(api, draft["id"], "status", "Processing")
    assert ready["status"] == "ReadyForCertification"
    assert ready["version"] == again["version"] + 1


BROKEN = {
    "no-spec": ("Connector specification file validation check failed", "not found"),
    "invalid-spec": ("Connector specification file validation check failed", "PORT"),
    "missing-folder": ("Repository structure check failed", None),
    "vulnerable": ("Dependency analysis check failed", "GHSA-35jh-r3h4-6jhm"),
    "secret": ("Secret scanning check failed", "service/config/settings.json"),
    "sast": ("Code analysis check failed", "service/src/run.js"),
}


def broken_repositories(root, base):
    good = samples.good_connector_files()
    return {
        **base,
        **{
            name: samples.create_repository(root / name, samples.merge(good, changes))
            for name, changes in finding_changes().items()
        },
    }


def test_each_broken_connector_fails_its_preview_with_the_expected_entry(
    worker_factory, advisory_data, api, pipeline_repositories, tmp_path
):
    worker_factory()
    repositories = broken_repositories(tmp_path, pipeline_repositories)
    drafts = {}
    for name in BROKEN:
        response = api.post(
            "/connectors/drafts", draft_body(repositories[name].url, key=f"broken-{name}")
        )
        if response.status_code != 201:
            # Create reads connect.yaml at the acceptance level: no-spec fails there already.
            assert name == "no-spec", response.content
            assert response.json()["errors"][0]["code"] == "ConnectorSpecificationFileNotFound"
            continue
        drafts[name] = act(api, response.json(), {"action": "updatePreviewable"})
    for name, draft in drafts.items():
        done = settled(api, draft["id"], "isPreviewable", "pending")
        entries = done["previewableReport"]["entries"]
        title, fragment = BROKEN[name]
        assert done["isPreviewable"] == "false", (name, entries)
        assert title in [e["title"] for e in entries], (name, entries)
        if fragment:
            text = " ".join(f"{e.get('file', '')} {e.get('message', '')}" for e in entries)
            assert fragment in text, (name, entries)
        assert_report_is_clean(entries)


def test_a_secret_never_appears_in_the_report(worker_factory, api, pipeline_repositories, tmp_path):
    worker_factory()
    repository = broken_repositories(tmp_path, pipeline_repositories)["secret"]
    draft = act(api, create(api, repository), {"action": "updatePreviewable"})
    done = settled(api, draft["id"], "isPreviewable", "pending")
    text = str(done["previewableReport"])
    assert "p8Ru9rB0Wc4fZ2yH7vKqL1nS5tXeJ3mA6dGiC0oU" not in text
    assert "AKIAZ4QWERTYUIOP7QXA" not in text


def test_a_worker_killed_during_a_run_leaves_the_draft_resolved_by_the_sweep(
    worker_factory, api, pipeline_repositories
):
    first = worker_factory()
    draft = act(api, create(api, pipeline_repositories["good"]), {"action": "updatePreviewable"})
    run_id = ConnectorStaged.objects.get(id=draft["id"]).preview_run_id
    wait_for(
        lambda: PipelineRun.objects.filter(id=run_id, state="running").exists(),
        timeout=60,
        interval=0.05,
    )
    first.kill()
    worker_factory(
        beat=True, CONNECTORS_STALE_RUN_SECONDS="3", CONNECTORS_SWEEP_INTERVAL_SECONDS="1"
    )
    done = settled(api, draft["id"], "isPreviewable", "pending")
    assert done["isPreviewable"] == "false"
    last = done["previewableReport"]["entries"][-1]
    assert (last["type"], last["title"]) == ("Error", "Run interrupted")
    assert "interrupted" in last["message"]
    assert PipelineRun.objects.get(id=run_id).state == "interrupted"
