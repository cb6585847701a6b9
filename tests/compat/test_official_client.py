"""The official commercetools Connect TypeScript client, unchanged, against a live server.

``sdk_flow.test.mjs`` drives ``@commercetools-connect/sdk`` over ``@commercetools/ts-client``
(OAuth client credentials, then drafts: create, read, query, update, errors, delete). The
Node packages are pinned in this folder's package-lock.json; ``npm ci`` installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from connectors import samples
from connectors.services import create_api_client, ensure_project

COMPAT_DIR = Path(__file__).resolve().parent
SCRIPT = COMPAT_DIR / "sdk_flow.test.mjs"
NODE_TIMEOUT_SECONDS = 180


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the official client runs on Node.js")
    if not (COMPAT_DIR / "node_modules").is_dir():
        pytest.skip(f"the official client is not installed: run `npm ci` in {COMPAT_DIR}")
    return node


@pytest.mark.django_db(transaction=True)
def test_the_official_typescript_client_runs_the_draft_flow_unchanged(live_server, tmp_path):
    node = _node()
    project = ensure_project(key="sdk-compat-shop", region="europe-west1.gcp")
    issued = create_api_client(project=project, scopes=["manage_connectors"])
    repository = samples.create_repository(tmp_path / "repo", samples.good_connector_files())
    environment = {
        **os.environ,
        "CONNECT_API_URL": live_server.url,
        "CONNECT_AUTH_URL": live_server.url,
        "CTP_PROJECT_KEY": project.key,
        "CTP_CLIENT_ID": issued.client_id,
        "CTP_CLIENT_SECRET": issued.client_secret,
        "CONNECTOR_REPOSITORY_URL": repository.url,
        "CONNECTOR_REPOSITORY_TAG": "1.0.0",
        "NO_COLOR": "1",
    }

    result = subprocess.run(
        [node, "--test-reporter=spec", SCRIPT.name],
        cwd=COMPAT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )

    output = f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    print(output)  # pytest shows it on failure, and with -rP on success
    assert result.returncode == 0, output
    # A run that skipped or never reached its steps must not pass quietly.
    assert "ℹ fail 0" in result.stdout, output
    assert "ℹ skipped 0" in result.stdout, output
