"""Git in the request path: create and setRepository read connect.yaml within a short time,
and an update reads only the final repository and tag, once."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from connectors import samples
from connectors.models import ConnectorStaged
from tests.conftest import SEED_CONNECTOR_FILES, draft_body

from .error_bodies import error_of

# Every test here runs git with an operator gitconfig of its own, as the fetching tests do
# (tests/connectors/conftest.py, which also has fetch_counter).
pytestmark = pytest.mark.usefixtures("git_global_config")


@pytest.fixture
def operator_config(git_global_config, monkeypatch) -> Path:
    """An operator gitconfig of the test's own, and no proxy between git and 127.0.0.1."""
    for proxy in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    return git_global_config


@pytest.fixture
def silent_remote():
    """An https address whose server accepts connections and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        yield f"https://127.0.0.1:{silent.getsockname()[1]}/acme/slow.git"


def test_creating_a_draft_against_a_silent_remote_gives_up_after_the_request_timeout(
    api, operator_config, silent_remote, settings
):
    settings.CONNECTORS_GIT_TIMEOUT_SECONDS = 30  # a pipeline's limit, far longer
    settings.CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    response = api.post("/connectors/drafts", draft_body(silent_remote))
    waited = time.monotonic() - started
    body = error_of(response, 400, "GitRepositoryNotReachable")
    assert "timed out after 1 s" in body["message"]
    assert waited < settings.CONNECTORS_GIT_TIMEOUT_SECONDS
    assert not ConnectorStaged.objects.exists()


def test_set_repository_against_a_silent_remote_gives_up_after_the_request_timeout(
    api, create_draft, operator_config, silent_remote, settings
):
    draft = create_draft()
    settings.CONNECTORS_GIT_TIMEOUT_SECONDS = 30
    settings.CONNECTORS_REQUEST_GIT_TIMEOUT_SECONDS = 1
    action = {"action": "setRepository", "url": silent_remote, "tag": "1.0.0"}
    response = api.post(f"/connectors/drafts/{draft['id']}", {"version": 1, "actions": [action]})
    body = error_of(response, 400, "GitRepositoryNotReachable")
    assert "timed out after 1 s" in body["message"]
    assert ConnectorStaged.objects.get(id=draft["id"]).version == 1


def test_five_hundred_set_repository_actions_read_only_the_final_one_once(
    api, create_draft, fetch_counter, tmp_path
):
    tags = [f"2.0.{n}" for n in range(10)]
    repository = samples.create_repository(tmp_path / "many-tags", SEED_CONNECTOR_FILES, tags=tags)
    draft = create_draft()
    fetch_counter.write_text("")
    actions = [
        {"action": "setRepository", "url": repository.url, "tag": tags[i % len(tags)]}
        for i in range(499)
    ]
    actions.append({"action": "setRepository", "tag": "2.0.3"})  # keeps the url set above

    response = api.post(f"/connectors/drafts/{draft['id']}", {"version": 1, "actions": actions})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["repository"] == {"url": repository.url, "tag": "2.0.3"}
    assert body["version"] == 2
    assert body["configurations"][0]["applicationName"] == "app-1"
    assert fetch_counter.read_text().splitlines() == ["fetch"]


def test_every_set_repository_url_is_still_checked_though_only_the_last_is_read(
    api, create_draft, good_repo
):
    draft = create_draft()
    actions = [
        {"action": "setRepository", "url": "http://example.com/acme/x.git", "tag": "1.0.0"},
        {"action": "setRepository", "url": good_repo.url, "tag": "1.0.0"},
    ]
    response = api.post(f"/connectors/drafts/{draft['id']}", {"version": 1, "actions": actions})
    error_of(response, 400, "InvalidJsonInput")
