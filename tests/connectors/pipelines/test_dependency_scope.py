"""Dependency analysis in a real preview run: scoped as the hosted service scopes it.

The checks run in the pipeline's own threads, on their own database connections: the synced
advisories must be committed for them to see it (``transactional_db``).
"""

from __future__ import annotations

from connectors import pipelines, samples
from connectors.checks.dependencies import DependencyCheck
from connectors.models import ConnectorStaged, ReportEntry
from tests.conftest import draft_body

VULNERABLE_LOCK = (
    '"packages": {\n    "node_modules/lodash": {"version": "4.17.20", '
    '"resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"},\n'
    '    "node_modules/flatmap-stream": {"version": "0.1.1", '
    '"resolved": "https://registry.npmjs.org/flatmap-stream/-/flatmap-stream-0.1.1.tgz"},'
)


def preview(api, tmp_path, django_capture_on_commit_callbacks, files) -> ConnectorStaged:
    repository = samples.create_repository(tmp_path / "repository", files)
    created = api.post("/connectors/drafts", draft_body(repository.url)).json()
    with django_capture_on_commit_callbacks(execute=False):
        api.post(
            f"/connectors/drafts/{created['id']}",
            {"version": 1, "actions": [{"action": "updatePreviewable"}]},
        )
    draft = ConnectorStaged.objects.get(id=created["id"])
    pipelines.run_pipeline(str(draft.preview_run_id), checks=[DependencyCheck()])
    draft.refresh_from_db()
    return draft


def test_vulnerable_packages_outside_the_deployed_applications_do_not_fail_the_run(
    transactional_db, advisory_data, api, tmp_path, django_capture_on_commit_callbacks
):
    good = samples.good_connector_files()
    custom_lock = good["custom-application/package-lock.json"]
    files = samples.merge(
        good,
        {
            # A Merchant Center custom application is not analysed by the hosted service.
            "custom-application/package-lock.json": custom_lock.replace(
                '"packages": {', VULNERABLE_LOCK, 1
            ),
            # Nor is a folder that no application deploys.
            "tools/package.json": '{"name": "tools", "private": true}\n',
            "tools/package-lock.json": custom_lock.replace('"packages": {', VULNERABLE_LOCK, 1),
        },
    )

    draft = preview(api, tmp_path, django_capture_on_commit_callbacks, files)

    entries = list(
        ReportEntry.objects.filter(run_id=draft.preview_run_id)
        .order_by("id")
        .values_list("type", "title", "application", "message")
    )
    assert draft.is_previewable == "true", entries
    assert [e[:3] for e in entries[1:]] == [
        ("Information", "Dependency analysis check succeeded", None),
        ("Information", "Dependency analysis", "custom-application"),
        ("Information", "Dependency analysis", "custom-view"),
    ]
    assert entries[1][3].startswith("Analysed ")
    assert "advisory data from 2025-08-14" in entries[1][3]


def test_a_vulnerable_package_of_a_deployed_application_fails_the_run(
    transactional_db, advisory_data, api, tmp_path, django_capture_on_commit_callbacks
):
    good = samples.good_connector_files()
    lock = good["service/package-lock.json"]
    files = samples.merge(
        good, {"service/package-lock.json": lock.replace('"packages": {', VULNERABLE_LOCK, 1)}
    )

    draft = preview(api, tmp_path, django_capture_on_commit_callbacks, files)

    errors = list(
        ReportEntry.objects.filter(
            run_id=draft.preview_run_id, type="Error", title="Dependency analysis"
        ).values_list("application", "file", "message")
    )
    assert draft.is_previewable == "false"
    assert {(application, file) for application, file, _ in errors} == {
        ("service", "service/package-lock.json")
    }
    assert len(errors) == 2
    text = "\n".join(message for _, _, message in errors)
    assert "flatmap-stream@0.1.1 is a known malicious package, MAL-2025-20690" in text
    assert "lodash@4.17.20 is affected by GHSA-35jh-r3h4-6jhm" in text
