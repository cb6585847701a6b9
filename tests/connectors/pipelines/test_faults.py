"""Hostile repositories and outside failures: clear entries, nothing left pending."""

from __future__ import annotations

import socket

import pytest

from connectors import pipelines, samples
from connectors.models import ConnectorStaged, PipelineRun, ReportEntry

YAML_BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "deployAs: [*g]\n"
)


@pytest.fixture
def moved_tag_draft(api, tmp_path, django_capture_on_commit_callbacks):
    """A draft created on a good tag, whose tag the creator later moved to other content."""

    def make(files: dict, key: str = "moved") -> ConnectorStaged:
        repository = samples.create_repository(tmp_path / key, samples.good_connector_files())
        from tests.conftest import draft_body

        created = api.post("/connectors/drafts", draft_body(repository.url, key=key)).json()
        samples.add_commit(repository, files, tags=("1.0.0",))
        with django_capture_on_commit_callbacks(execute=False):
            api.post(
                f"/connectors/drafts/{created['id']}",
                {"version": 1, "actions": [{"action": "updatePreviewable"}]},
            )
        return ConnectorStaged.objects.get(id=created["id"])

    return make


def run_and_report(draft: ConnectorStaged) -> list[tuple[str, str, str | None]]:
    pipelines.run_pipeline(str(draft.preview_run_id))
    draft.refresh_from_db()
    assert draft.is_previewable == "false"
    return list(
        ReportEntry.objects.filter(draft=draft)
        .order_by("id")
        .values_list("type", "title", "message")  # noqa: E501
    )


def test_a_yaml_bomb_fails_the_specification_check_quickly(moved_tag_draft, settings):
    settings.CONNECTORS_ADVISORY_SOURCE = "tests/connectors/checks/advisories"
    entries = run_and_report(moved_tag_draft({"connect.yaml": YAML_BOMB}, key="bomb"))
    failed = [e for e in entries if e[1] == "Connector specification file validation check failed"]
    assert failed and failed[0][0] == "Error"
    assert any("alias" in (message or "").lower() for _, _, message in entries), entries


def test_a_megabyte_connect_yaml_is_refused_with_a_clear_entry(moved_tag_draft, settings):
    settings.CONNECTORS_ADVISORY_SOURCE = "tests/connectors/checks/advisories"
    huge = "deployAs:\n" + "# padding\n" * 150_000
    entries = run_and_report(moved_tag_draft({"connect.yaml": huge}, key="huge-spec"))
    messages = " ".join(message or "" for _, _, message in entries)
    assert "Connector specification file validation check failed" in [e[1] for e in entries]
    assert "bytes" in messages or "too large" in messages.lower(), entries


def test_a_symlink_out_of_the_repository_rejects_the_run(moved_tag_draft):
    draft = moved_tag_draft({"service/src/passwd": samples.Symlink("/etc/passwd")}, key="link")
    entries = run_and_report(draft)
    assert entries[-1][:2] == ("Error", "Repository rejected")
    assert "service/src/passwd" in entries[-1][2]


def test_a_repository_over_the_file_limit_is_rejected(moved_tag_draft, settings):
    settings.CONNECTORS_REPOSITORY_MAX_FILES = 10
    entries = run_and_report(moved_tag_draft({}, key="many-files"))
    assert entries[-1][:2] == ("Error", "Repository rejected")
    assert "CONNECTORS_REPOSITORY_MAX_FILES" in entries[-1][2]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_advisory_service_releases_the_run_for_a_retry(moved_tag_draft, settings):
    draft = moved_tag_draft({}, key="transient")
    settings.CONNECTORS_ADVISORY_SOURCE = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(pipelines.TransientPipelineError):
        pipelines.run_pipeline(str(draft.preview_run_id))
    run = PipelineRun.objects.get(id=draft.preview_run_id)
    assert run.state == "queued"
    assert not ReportEntry.objects.filter(run_id=run.id).exists()
    settings.CONNECTORS_ADVISORY_SOURCE = "tests/connectors/checks/advisories"
    pipelines.run_pipeline(str(draft.preview_run_id))
    draft.refresh_from_db()
    assert draft.is_previewable == "true"
    titles = list(ReportEntry.objects.filter(run_id=run.id).values_list("title", flat=True))
    assert titles.count("Preview started") == 1
