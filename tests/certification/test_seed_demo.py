"""The demo command: users, project, API client, sample repositories and drafts in states."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from connectors.models import ApiClient, CertificationComment, Connector, ConnectorStaged


@pytest.fixture
def demo_var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_seed_demo_creates_users_project_client_repositories_and_drafts(db, demo_var):
    output = seed("--password", "demo-pass-1")
    assert "password: demo-pass-1" in output
    for username in ("creator", "certifier", "support"):
        assert authenticate(username=username, password="demo-pass-1") is not None
    client = ApiClient.objects.get(project__key="demo-shop")
    assert f"client_id:     {client.application.client_id}" in output
    assert (demo_var / "demo-repos" / "good-connector" / ".git").is_dir()
    assert (demo_var / "demo-repos" / "broken-connector" / ".git").is_dir()

    states = {d.key: (d.status, d.is_previewable) for d in ConnectorStaged.objects.all()}
    assert states == {
        "demo-order-export": ("Draft", "none"),
        "demo-broken-export": ("Draft", "false"),
        "demo-cart-sync": ("Published", "true"),
        "demo-tax-rates": ("ReadyForCertification", "none"),
        "demo-loyalty-points": ("Failed", "none"),
        "demo-search-bridge": ("Published", "none"),
    }
    cart = ConnectorStaged.objects.get(key="demo-cart-sync")
    assert cart.has_changes and cart.private_projects == ["europe-west1.gcp:demo-partner"]
    assert Connector.objects.get(staged__key="demo-search-bridge").certified
    broken = ConnectorStaged.objects.get(key="demo-broken-export")
    assert broken.report_entries.filter(type="Error").exists()
    assert CertificationComment.objects.filter(
        draft__key="demo-loyalty-points", by_certifier=True
    ).exists()


def test_seed_demo_can_run_twice(db, demo_var):
    seed()
    first_client = ApiClient.objects.get().application.client_id
    output = seed()
    assert "kept the existing ones" in output
    assert ConnectorStaged.objects.count() == 6
    assert ApiClient.objects.get().application.client_id == first_client
    assert authenticate(username="creator", password="workbench-demo") is not None


def test_the_demo_users_land_in_a_living_dashboard(db, demo_var):
    seed()
    creator = Client()
    assert creator.login(username="creator", password="workbench-demo")
    listing = creator.get("/").content.decode()
    assert "Cart sync" in listing and "Order export" in listing
    certifier = Client()
    assert certifier.login(username="certifier", password="workbench-demo")
    assert "Tax rates" in certifier.get("/certification/").content.decode()
