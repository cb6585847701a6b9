"""Each role's start page, where a draft link takes each role, the support overview, and
the URLs people typed shown as links only when they are http(s)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from connectors.models import PipelineRun
from connectors.state import Status
from tests.conftest import move_to


def test_support_staff_without_a_project_land_on_the_support_overview(support_client):
    response = support_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/support/"
    page = support_client.get("/support/").content.decode()
    assert "<h1>Support overview</h1>" in page
    assert "Ask support to add you" not in page
    assert 'href="/admin/"' in page and 'aria-current="page">Support</a>' in page


def test_a_creator_lands_on_the_drafts_and_may_not_open_the_support_overview(creator_client):
    assert creator_client.get("/").status_code == 200
    response = creator_client.get("/support/")
    assert response.status_code == 403
    assert b"Not allowed" in response.content


def test_the_support_overview_lists_stuck_and_failed_runs_and_the_longest_waiting(
    support_client, make_draft, settings
):
    settings.CONNECTORS_RESEND_RUN_SECONDS = 120
    now = timezone.now()
    stuck = make_draft(name="Stuck connector")
    fresh = make_draft(name="Fresh connector")
    broken = make_draft(name="Broken connector")
    waiting = move_to(
        make_draft(name="Waiting connector"),
        status=Status.READY_FOR_CERTIFICATION,
        status_changed_at=now - timedelta(days=4),
    )
    old = PipelineRun.objects.create(draft=stuck, report="preview")
    PipelineRun.objects.filter(pk=old.pk).update(created_at=now - timedelta(minutes=10))
    PipelineRun.objects.create(draft=fresh, report="preview")
    failed = PipelineRun.objects.create(
        draft=broken, report="publishing", state="failed", finished_at=now
    )
    html = support_client.get("/support/").content.decode()
    stuck_part, rest = html.split('id="support-failed"')
    failed_part, waiting_part = rest.split('id="support-waiting"')
    assert f"/admin/connectors/pipelinerun/{old.id}/change/" in stuck_part
    assert "Stuck connector" in stuck_part and "Fresh connector" not in stuck_part
    assert f"/admin/connectors/pipelinerun/{failed.id}/change/" in failed_part
    assert f"/admin/connectors/connectorstaged/{waiting.id}/change/" in waiting_part
    assert "4\xa0days" in waiting_part


def test_a_certifier_following_a_draft_link_of_the_queue_gets_its_review(certifier_client, draft):
    assert certifier_client.get(f"/drafts/{draft.id}/").status_code == 404
    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    response = certifier_client.get(f"/drafts/{draft.id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/certification/{draft.id}/"


def test_support_staff_following_a_draft_link_get_its_admin_page(support_client, draft):
    response = support_client.get(f"/drafts/{draft.id}/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/connectors/connectorstaged/{draft.id}/change/"


def test_anyone_else_gets_the_sites_not_found_page_even_with_debug_on(
    other_client, draft, settings
):
    settings.DEBUG = True
    response = other_client.get(f"/drafts/{draft.id}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html and "Connector Workbench" in html
    assert "URLconf" not in html and "Sample connector" not in html


def test_urls_become_links_only_when_http_and_never_open_the_referrer(
    creator_client, certifier_client, draft
):
    move_to(
        draft,
        documentation_url="https://docs.example.com/" + "very-long-segment-" * 10,
        creator_support_url="javascript:alert(1)",
        creator_logo_url="ftp://example.com/logo.png",
    )
    html = creator_client.get(f"/drafts/{draft.id}/").content.decode()
    assert 'href="https://docs.example.com/very-long-segment-' in html
    assert 'rel="noopener noreferrer">https://docs.example.com/' in html
    assert 'href="javascript:' not in html and 'href="ftp:' not in html
    assert '<code class="long-value">javascript:alert(1)</code>' in html
    move_to(draft, status=Status.READY_FOR_CERTIFICATION)
    review = certifier_client.get(f"/certification/{draft.id}/").content.decode()
    assert 'href="https://docs.example.com/very-long-segment-' in review
    assert 'href="javascript:' not in review
    assert "<dt>Support</dt>" in review and "javascript:alert(1)" in review
