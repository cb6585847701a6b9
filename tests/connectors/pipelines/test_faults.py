"""Hostile repositories and outside failures: clear entries, nothing left pending."""

from __future__ import annotations

import socket
import time

import pytest

from connectors import pipelines, samples
from connectors.checks.base import CheckOutcome, Finding, TransientCheckError
from connectors.checks.specification import SpecificationCheck
from connectors.checks.structure import StructureCheck
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
        .values_list("type", "title", "message")
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


class ServiceCheck:
    """A check that needs an outside service on a local port, as the advisory mirror would."""

    name = "Outside service"

    def __init__(self, port: int, *, up_after_tries: int | None = None) -> None:
        self.port = port
        self.up_after_tries = up_after_tries
        self.tries = 0

    def run(self, context):
        self.tries += 1
        if self.up_after_tries is not None and self.tries > self.up_after_tries:
            return CheckOutcome(status="succeeded", summary="reached")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError as error:
            raise TransientCheckError(
                f"127.0.0.1:{self.port} could not be reached ({error})"
            ) from error
        return CheckOutcome(status="succeeded", summary="reached")


def _titles(draft: ConnectorStaged) -> list[str]:
    return list(
        ReportEntry.objects.filter(run_id=draft.preview_run_id)
        .order_by("id")
        .values_list("title", flat=True)
    )


def test_a_check_whose_service_stays_down_ends_with_an_error_and_the_others_are_kept(
    moved_tag_draft, settings
):
    settings.CONNECTORS_CHECK_RETRY_SECONDS = 2
    draft = moved_tag_draft({}, key="outage")
    port = closed_port()
    service = ServiceCheck(port)
    started = time.monotonic()
    pipelines.run_pipeline(
        str(draft.preview_run_id), checks=[SpecificationCheck(), service, StructureCheck()]
    )
    elapsed = time.monotonic() - started

    draft.refresh_from_db()
    run = PipelineRun.objects.get(id=draft.preview_run_id)
    assert draft.is_previewable == "false"
    assert run.state == "failed"
    assert service.tries >= 2
    assert elapsed < 10
    assert _titles(draft) == [
        "Preview started",
        "Connector specification file validation check succeeded",
        "Outside service check failed",
        "Outside service",
        "Repository structure check succeeded",
    ]
    error = ReportEntry.objects.get(run_id=run.id, title="Outside service")
    assert error.type == "Error"
    assert f"127.0.0.1:{port}" in error.message
    assert "the other checks ran as usual" in error.message


def test_a_check_whose_service_comes_back_is_retried_alone_and_the_run_passes(
    moved_tag_draft, settings
):
    settings.CONNECTORS_CHECK_RETRY_SECONDS = 30
    draft = moved_tag_draft({}, key="flaky")
    service = ServiceCheck(closed_port(), up_after_tries=1)
    structure = CountingCheck(StructureCheck())
    pipelines.run_pipeline(str(draft.preview_run_id), checks=[structure, service])

    draft.refresh_from_db()
    assert draft.is_previewable == "true"
    assert service.tries == 2
    assert structure.runs == 1
    assert _titles(draft) == [
        "Preview started",
        "Repository structure check succeeded",
        "Outside service check succeeded",
    ]


class CountingCheck:
    def __init__(self, check) -> None:
        self.check = check
        self.name = check.name
        self.runs = 0

    def run(self, context):
        self.runs += 1
        return self.check.run(context)


class ManyFindingsCheck:
    name = "Many findings"

    def __init__(self, errors: int, warnings: int) -> None:
        self.errors = errors
        self.warnings = warnings

    def run(self, context):
        findings = [Finding(type="Warning", message=f"warning {i}") for i in range(self.warnings)]
        findings += [Finding(type="Error", message=f"error {i}") for i in range(self.errors)]
        return CheckOutcome(status="failed", findings=findings, summary="many")


def test_a_check_with_thousands_of_findings_writes_a_bounded_report(moved_tag_draft, settings):
    settings.CONNECTORS_MAX_ENTRIES_PER_CHECK = 50
    settings.CONNECTORS_MAX_ENTRIES_PER_RUN = 500
    draft = moved_tag_draft({}, key="many")
    pipelines.run_pipeline(
        str(draft.preview_run_id), checks=[ManyFindingsCheck(errors=3000, warnings=2000)]
    )

    entries = list(
        ReportEntry.objects.filter(run_id=draft.preview_run_id)
        .order_by("id")
        .values_list("type", "message")
    )
    assert len(entries) == 1 + 1 + 50  # started, the check's summary, its findings
    findings = entries[2:]
    assert all(kind == "Error" for kind, _ in findings)  # the most severe are kept
    assert [m for _, m in findings[:3]] == ["error 0", "error 1", "error 2"]
    assert findings[-1][1].startswith("4951 more findings of this check are not listed")
    assert "2951 error, 2000 warning" in findings[-1][1]


def test_the_whole_run_stays_within_its_bound_and_every_check_keeps_its_summary(
    moved_tag_draft, settings
):
    settings.CONNECTORS_MAX_ENTRIES_PER_CHECK = 100
    settings.CONNECTORS_MAX_ENTRIES_PER_RUN = 120
    draft = moved_tag_draft({}, key="many-checks")
    checks = [ManyFindingsCheck(errors=500, warnings=0) for _ in range(3)] + [StructureCheck()]
    pipelines.run_pipeline(str(draft.preview_run_id), checks=checks)

    titles = _titles(draft)
    assert len(titles) <= 120
    assert titles.count("Many findings check failed") == 3
    assert titles[-1] == "Repository structure check succeeded"
