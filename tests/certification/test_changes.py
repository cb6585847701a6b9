"""What changed since the last review: the snapshot a decision keeps, the fields and the
repository compared in the next round (a task, stored), and the page's partial."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from certification import changes, services, tasks
from certification.models import RepositoryComparison
from connectors.drafts import Actor, Change, commit, set_status
from connectors.models import ConnectorStaged, DraftEvent
from connectors.parsing import parse_update
from connectors.samples import SampleRepository
from connectors.state import Status
from connectors.update_actions import apply_update_actions
from tests.conftest import HTMX, move_to
from tests.connectors.diff_samples import changed_connector
from tests.connectors.pipelines.conftest import wait_for, worker_factory  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def connector_repo(tmp_path_factory) -> SampleRepository:
    return changed_connector(tmp_path_factory.mktemp("changes") / "connector")


@pytest.fixture
def submitted(make_draft, connector_repo) -> ConnectorStaged:
    """A draft at tag 1.0.0, just sent to certification."""
    draft = make_draft(
        key="cart-summary",
        name="Cart summary",
        repository={"url": connector_repo.url, "tag": "1.0.0"},
    )
    return enter_queue(draft)


def certifier_actor(user) -> Actor:
    return Actor(label=user.username, user=user, is_certifier=True)


def enter_queue(draft: ConnectorStaged) -> ConnectorStaged:
    """A publish for certification ends: the draft enters the queue, as a pipeline commits it."""
    move_to(draft, status=Status.PROCESSING)
    with transaction.atomic():
        locked = ConnectorStaged.objects.select_for_update().get(pk=draft.pk)
        change = Change(draft=locked, actor=Actor(label="pipeline"))
        set_status(change, Status.READY_FOR_CERTIFICATION)
        commit(change, kind=DraftEvent.Kind.STATE, summary="publishing ended")
    draft.refresh_from_db()
    return draft


def reject(draft: ConnectorStaged, user) -> ConnectorStaged:
    actor = certifier_actor(user)
    services.claim(draft_id=draft.id, actor=actor)
    draft.refresh_from_db()
    services.reject(draft_id=draft.id, version=draft.version, actor=actor, reason="Not yet.")
    draft.refresh_from_db()
    return draft


def update(draft: ConnectorStaged, *actions: dict) -> ConnectorStaged:
    body = parse_update({"version": draft.version, "actions": list(actions)})
    return apply_update_actions(
        projects=draft.project,
        version=body.version,
        actions=body.actions,
        actor=Actor(label="acme-shop"),
        id=str(draft.id),
    )


@pytest.fixture
def second_round(submitted, certifier, connector_repo, django_capture_on_commit_callbacks):
    """Rejected at 1.0.0; the creator moved to 2.0.0, reworded the description and sent it
    again. Returns the draft and the comparison its entering the queue requested."""
    reject(submitted, certifier)
    draft = update(
        submitted,
        {"action": "setRepository", "url": connector_repo.url, "tag": "2.0.0"},
        {"action": "setDescription", "description": "Summarises carts, now with timeouts."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        draft = enter_queue(draft)
    return draft, RepositoryComparison.objects.get(draft=draft)


def test_a_decision_keeps_what_the_certifier_decided_on(submitted, certifier, connector_repo):
    reject(submitted, certifier)
    event = DraftEvent.objects.filter(draft=submitted, kind="decision").latest("id")
    reviewed = event.details["reviewed"]
    assert reviewed["name"] == "Cart summary"
    assert reviewed["repository_url"] == connector_repo.url
    assert reviewed["repository_tag"] == "1.0.0"
    assert reviewed["repository_commit"] == connector_repo.tags["1.0.0"]
    assert [c["applicationName"] for c in reviewed["configurations"]] == ["service", "job"]
    assert event.details["decision"] == "rejected"  # the decision's own details stay
    last = changes.last_review(submitted)
    assert last is not None and (last.decision, last.actor) == ("rejected", "certifier")
    assert last.snapshot == reviewed


def test_a_first_round_has_nothing_to_compare(submitted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        found = changes.review_changes(submitted)
    assert found.first_round and found.fields == [] and found.comparison is None
    assert changes.last_review(submitted) is None
    assert not RepositoryComparison.objects.exists()
    html = render_to_string("certification/_changes.html", {"changes": found})
    assert "First review" in html


def test_entering_the_queue_again_requests_the_comparison(second_round, connector_repo):
    draft, comparison = second_round
    assert comparison.state == "pending"
    assert (comparison.base_tag, comparison.base_commit) == ("1.0.0", connector_repo.tags["1.0.0"])
    assert (comparison.head_url, comparison.head_tag) == (connector_repo.url, "2.0.0")


def test_the_fields_that_changed_are_shown_at_once(second_round):
    draft, _ = second_round
    found = changes.review_changes(draft)
    labels = [change.label for change in found.fields]
    assert labels == [
        "Description",
        "Repository tag",
        "Configuration of application service",
        "Repository commit",
    ]
    keys = found.fields[2]
    assert keys.added == ("TIMEOUT (standard)",) and keys.removed == ()
    assert found.computing and found.repository is None


def test_the_task_computes_and_stores_the_repository_comparison(second_round, connector_repo):
    draft, comparison = second_round
    tasks.compare_repositories(comparison.id)
    comparison.refresh_from_db()
    assert comparison.state == "ready" and comparison.message == ""
    assert comparison.started_at and comparison.finished_at
    paths = [entry["path"] for entry in comparison.result["files"]]
    assert "service/src/index.js" in paths and "README.md" not in paths
    assert comparison.result["head"]["commit"] == connector_repo.tags["2.0.0"]
    found = changes.review_changes(draft)
    assert not found.computing and found.repository is not None
    assert RepositoryComparison.objects.filter(draft=draft).count() == 1  # reused, not redone


def test_a_second_task_for_the_same_comparison_changes_nothing(second_round):
    _, comparison = second_round
    tasks.compare_repositories(comparison.id)
    comparison.refresh_from_db()
    finished = comparison.finished_at
    tasks.compare_repositories(comparison.id)
    comparison.refresh_from_db()
    assert comparison.finished_at == finished


def test_a_comparison_that_cannot_be_made_is_stored_with_its_reason(second_round):
    _, comparison = second_round
    RepositoryComparison.objects.filter(id=comparison.id).update(base_commit="0" * 40)
    tasks.compare_repositories(comparison.id)
    comparison.refresh_from_db()
    assert comparison.state == "failed"
    assert comparison.message.startswith(f"The commit {'0' * 40} (tag '1.0.0') can no longer")


def test_a_comparison_whose_task_was_lost_is_sent_again_on_view(
    second_round, django_capture_on_commit_callbacks
):
    draft, comparison = second_round
    long_ago = timezone.now() - timedelta(hours=1)
    RepositoryComparison.objects.filter(id=comparison.id).update(
        state="running", requested_at=long_ago, started_at=long_ago
    )
    with django_capture_on_commit_callbacks() as sent:
        found = changes.review_changes(draft)
    assert len(sent) == 1
    assert found.comparison is not None and found.comparison.state == "pending"
    assert found.comparison.requested_at > long_ago
    tasks.compare_repositories(comparison.id)
    assert RepositoryComparison.objects.get(id=comparison.id).state == "ready"


def test_a_draft_still_at_the_reviewed_commit_is_ready_without_a_task(
    submitted, certifier, django_capture_on_commit_callbacks
):
    draft = enter_queue(update(reject(submitted, certifier), {"action": "setName", "name": "B"}))
    with django_capture_on_commit_callbacks() as sent:
        found = changes.review_changes(draft)
    assert sent == []
    assert found.comparison is not None and found.comparison.state == "ready"
    assert [change.label for change in found.fields] == ["Name"]
    html = render_to_string("certification/_changes.html", {"changes": found})
    assert "The repository is at the same commit as at the last review." in html


# --- the partial -----------------------------------------------------------------------------


def test_the_partial_shows_computing_and_polls_while_the_comparison_runs(second_round):
    draft, _ = second_round
    found = changes.review_changes(draft)
    html = render_to_string(
        "certification/_changes.html", {"changes": found, "changes_url": "/changes/"}
    )
    assert 'role="status"' in html and "Computing what changed in the repository" in html
    assert 'hx-get="/changes/"' in html and 'hx-trigger="load delay:3s"' in html
    assert "Summarises carts, now with timeouts." in html
    assert '<span class="visually-hidden">Added:</span> TIMEOUT (standard)' in html


def test_the_partial_renders_the_files_their_diffs_and_findings_at_their_lines(
    second_round, settings
):
    settings.CONNECTORS_DIFF_MAX_FILE_BYTES = 4096
    draft, comparison = second_round
    tasks.compare_repositories(comparison.id)
    draft.report_entries.create(
        report="publishing",
        type="Error",
        title="Code analysis",
        message="Request <b>data</b> reaches eval",
        file="service/src/index.js",
        line=9,
    )
    found = changes.review_changes(draft, entries=draft.report_entries.all())
    html = render_to_string("certification/_changes.html", {"changes": found})
    assert "7 files changed" in html and "hx-get" not in html
    assert "<code>service/src/old-name.js → service/src/new-name.js</code>" in html
    assert "Binary file: no diff is shown." in html
    assert "Cut: this file&#x27;s diff is longer than 4 KiB" in html
    assert "2 other files changed outside these folders" in html
    # Additions and removals say so in text, not colour alone.
    added = html.index("const added = true;")
    row = html[html.rindex("<tr", 0, added) : added]
    assert "code-line--added code-line--finding" in row
    assert '<span aria-hidden="true">+</span><span class="visually-hidden">Added</span>' in row
    assert '<span class="visually-hidden">Removed</span>' in html
    # The finding is right after its line, escaped.
    finding = html.index("Request &lt;b&gt;data&lt;/b&gt; reaches eval")
    assert added < finding < html.index("const line9 = 9;")
    assert '<details class="file-diff" id="change-file-5" open>' in html


def test_the_partial_says_why_a_comparison_failed(second_round):
    draft, comparison = second_round
    RepositoryComparison.objects.filter(id=comparison.id).update(
        state="failed", message="The commit abc can no longer be fetched."
    )
    found = changes.review_changes(draft)
    html = render_to_string("certification/_changes.html", {"changes": found})
    assert "could not be computed: The commit abc can no longer be fetched." in html


def test_a_real_worker_computes_the_comparison_when_the_draft_enters_the_queue(
    request, transactional_db, make_draft, certifier, connector_repo
):
    worker = request.getfixturevalue("worker_factory")()
    draft = make_draft(key="worker-round", repository={"url": connector_repo.url, "tag": "1.0.0"})
    draft = reject(enter_queue(draft), certifier)
    draft = update(draft, {"action": "setRepository", "url": connector_repo.url, "tag": "2.0.0"})
    enter_queue(draft)  # commits for real: the comparison's task goes to the worker

    def ready() -> RepositoryComparison | None:
        return RepositoryComparison.objects.filter(draft=draft, state="ready").first()

    comparison = wait_for(ready, timeout=120)
    assert "compare_repositories" in worker.output()
    assert comparison.result["head"]["commit"] == connector_repo.tags["2.0.0"]
    assert len(comparison.result["files"]) == 7


# --- the review page -------------------------------------------------------------------------


def test_the_review_page_shows_the_changes_and_the_region_follows_the_comparison(
    second_round, certifier_client, creator_client
):
    draft, comparison = second_round
    page = certifier_client.get(f"/certification/{draft.id}/").content.decode()
    region_url = f"/certification/{draft.id}/changes/"
    assert 'id="review-changes"' in page and f'hx-get="{region_url}"' in page
    assert "Summarises carts, now with timeouts." in page

    computing = certifier_client.get(region_url, headers=HTMX).content.decode()
    assert computing.lstrip().startswith('<section id="review-changes"')
    assert "Computing what changed in the repository" in computing

    tasks.compare_repositories(comparison.id)
    ready = certifier_client.get(region_url, headers=HTMX).content.decode()
    assert "7 files changed" in ready and "hx-get" not in ready
    assert "service/src/index.js" in ready

    # Without htmx the region's URL leads to the page; creators never reach it.
    assert certifier_client.get(region_url)["Location"] == f"/certification/{draft.id}/"
    assert creator_client.get(region_url, headers=HTMX).status_code == 403


def test_a_first_round_review_page_says_there_is_nothing_to_compare(submitted, certifier_client):
    page = certifier_client.get(f"/certification/{submitted.id}/").content.decode()
    assert "First review: no certifier has decided on this draft before" in page
    assert not RepositoryComparison.objects.exists()
