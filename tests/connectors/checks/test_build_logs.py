"""Build and test logs kept with the run, and read from the dashboard."""

from __future__ import annotations

import shutil
import uuid

import pytest

from connectors.models import ConnectorStaged, PipelineRun, ReportEntry, StepLog
from tests.conftest import make_certifier, make_user, signed_in
from tests.connectors.checks.build_samples import SERVICE_TEST, one_service

pytestmark = [
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed"),
    pytest.mark.django_db(transaction=True),  # the logs are written from the build's threads
]


def test_a_failing_test_run_is_reported_in_order_and_its_log_kept_with_the_run(previewed):
    failing = SERVICE_TEST.replace("8000", "9000")
    draft = previewed(one_service(sources={"index.test.js": failing}))
    assert draft.is_previewable == "false"
    entries = list(ReportEntry.objects.filter(draft=draft).values_list("type", "title"))
    titles = [title for _, title in entries]
    assert titles[:2] == ["Preview started", "Build check succeeded"]
    assert ("Error", "Unit test check failed") in entries
    assert titles.index("Build check succeeded") < titles.index("Unit test check failed")
    run = PipelineRun.objects.get(id=draft.preview_run_id)
    assert {"Build", "Unit test"} <= set(run.timings)
    logs = {log.step: log for log in StepLog.objects.filter(run=run)}
    assert set(logs) == {"install", "build", "test"}
    assert logs["install"].succeeded and logs["install"].command.startswith("npm ci")
    assert not logs["test"].succeeded and logs["test"].exit_code == 1
    assert "9000" in logs["test"].text and "\x1b[" not in logs["test"].text
    assert logs["test"].application == "service"


def test_creators_of_the_project_and_certifiers_read_the_logs_others_get_404(
    previewed, project, other_project, django_user_model
):
    draft = previewed(one_service())
    assert draft.is_previewable == "true"
    run = PipelineRun.objects.get(id=draft.preview_run_id)
    log = StepLog.objects.get(run=run, step="test")
    run_page = f"/drafts/{draft.id}/runs/{run.id}/"
    log_page = f"{run_page}logs/{log.id}/"

    creator = make_user(django_user_model, "log-reader")
    project.members.add(creator)
    reader = signed_in(creator)
    detail = reader.get(f"/drafts/{draft.id}/")
    assert run_page in detail.content.decode()  # the report links to the run
    page = reader.get(run_page)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Unit test" in html and "npm run test" in html and log_page in html
    text = reader.get(log_page)
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    assert "tests" in text.content.decode() and "service: test" in text.content.decode()

    stranger = make_user(django_user_model, "stranger")
    other_project.members.add(stranger)
    assert signed_in(stranger).get(run_page).status_code == 404
    assert signed_in(stranger).get(log_page).status_code == 404

    certifier = signed_in(make_certifier(django_user_model, "log-certifier"))
    assert certifier.get(run_page).status_code == 404  # not in the certification queue
    ConnectorStaged.objects.filter(id=draft.id).update(status="ReadyForCertification")
    assert certifier.get(run_page).status_code == 200
    assert certifier.get(log_page).status_code == 200
    assert reader.get(f"{run_page}logs/{log.id + 10_000}/").status_code == 404
    assert reader.get(f"/drafts/{draft.id}/runs/{uuid.uuid4()}/").status_code == 404
