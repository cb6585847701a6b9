"""The embedded defaults (SQLite, file-system broker) run the whole flow, worker included."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import base64, json, os, subprocess, sys, time
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from connectors import samples
    from connectors.services import create_api_client, ensure_project

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from pathlib import Path
    repo = samples.create_repository(Path(os.environ["REPO_DIR"]), samples.good_connector_files())
    issued = create_api_client(project=ensure_project(key="embedded"), scopes=["manage_connectors"])
    client = Client()
    for asset in ("/static/css/dashboard.css", "/static/js/dashboard.js"):
        assert client.get(asset).status_code == 200, asset
    basic = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
    token = client.post("/oauth/token", {"grant_type": "client_credentials"},
                        headers={"Authorization": f"Basic {basic}"}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"key": "embedded-1", "name": "Embedded", "creator": {"email": "a@example.com"},
            "repository": {"url": repo.url, "tag": "1.0.0"}}
    created = client.post("/connectors/drafts", json.dumps(body), content_type="application/json",
                          headers=auth)
    assert created.status_code == 201, created.content
    draft = created.json()
    assert client.get("/connectors/drafts/key=embedded-1", headers=auth).json()["id"] == draft["id"]
    page = client.get("/connectors/drafts", {"sort": "name asc", "isPrivate": "true"}, headers=auth)
    assert page.json()["total"] == 1, page.content
    update = {"version": 1, "actions": [{"action": "updatePreviewable"}]}
    assert client.post(f"/connectors/drafts/{draft['id']}", json.dumps(update),
                       content_type="application/json", headers=auth).status_code == 201
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker",
                               "--pool=solo", "--loglevel=WARNING"])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = client.get(f"/connectors/drafts/{draft['id']}", headers=auth).json()
            if state["isPreviewable"] != "pending":
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    titles = [e["title"] for e in state["previewableReport"]["entries"]]
    assert state["isPreviewable"] == "true", titles
    print("EMBEDDED OK", titles)
    """
)


def test_embedded_defaults_run_the_api_and_a_preview(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "TEST_DATABASE_NAME")
    }
    env.update(
        {
            "WORKBENCH_VAR_DIR": str(tmp_path / "var"),
            "CONNECTORS_ALLOW_LOCAL_REPOSITORIES": "true",
            "CONNECTORS_ADVISORY_SOURCE": str(ROOT / "tests/connectors/checks/advisories"),
            "REPO_DIR": str(tmp_path / "repo"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    (tmp_path / "var").mkdir()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "EMBEDDED OK" in result.stdout
    assert (tmp_path / "var" / "workbench.sqlite3").exists()
