"""The fixed cast: two projects, API clients with each scope, sample repositories, the
dashboard's people (creators of two projects, certifiers, support) and drafts in states."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from connectors import samples, services
from connectors.drafts import Actor
from connectors.models import ConnectorStaged, Project
from connectors.parsing import parse_draft, parse_update
from connectors.roles import CERTIFIERS_GROUP
from connectors.services import create_api_client, ensure_project
from connectors.update_actions import apply_update_actions


@pytest.fixture(scope="session", autouse=True)
def _fresh_cache():
    """The test Redis database outlives a run; cached totals of an earlier one must go."""
    from django.core.cache import cache

    cache.clear()


ADVISORIES = Path(__file__).parent / "connectors" / "checks" / "advisories"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES = True
    # The outside world's advisory database, replaced by real OSV records on disk.
    settings.CONNECTORS_ADVISORY_SOURCE = str(ADVISORIES)
    # Client secrets are hashed like passwords; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    project: Project

    @property
    def basic(self) -> str:
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class ApiCaller:
    """Calls the API through Django's test client with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: Any = None, headers: dict[str, str] | None = None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return self.client.post(
            path, data, content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path: str, headers: dict[str, str] | None = None):
        return self.client.delete(path, headers=self._headers(headers))


def issue_token(credentials: Credentials, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = Client().post("/oauth/token", data, headers={"Authorization": credentials.basic})
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def make_credentials(project: Project, *scopes: str) -> Credentials:
    issued = create_api_client(project=project, scopes=list(scopes))
    return Credentials(issued.client_id, issued.client_secret, project)


@pytest.fixture
def project(db) -> Project:
    return ensure_project(key="acme-shop", region="europe-west1.gcp")


@pytest.fixture
def other_project(db) -> Project:
    return ensure_project(key="globex", region="us-central1.gcp")


@pytest.fixture
def manager_credentials(project) -> Credentials:
    return make_credentials(project, "manage_connectors")


@pytest.fixture
def api(manager_credentials) -> ApiCaller:
    """A caller with manage_connectors on ``project``."""
    return ApiCaller(issue_token(manager_credentials))


@pytest.fixture
def viewer_api(project) -> ApiCaller:
    return ApiCaller(issue_token(make_credentials(project, "view_connectors")))


@pytest.fixture
def project_admin_api(project) -> ApiCaller:
    return ApiCaller(issue_token(make_credentials(project, "manage_project")))


@pytest.fixture
def other_api(other_project) -> ApiCaller:
    return ApiCaller(issue_token(make_credentials(other_project, "manage_connectors")))


@pytest.fixture(scope="session")
def repositories(tmp_path_factory) -> dict[str, samples.SampleRepository]:
    """Real local git repositories with tags, built once per test session."""
    root: Path = tmp_path_factory.mktemp("repositories")
    return {
        "good": samples.create_repository(
            root / "good", samples.good_connector_files(), tags=("1.0.0", "v1.1.0")
        ),
        "no-spec": samples.create_repository(root / "no-spec", samples.no_specification_files()),
        # The connect.yaml behind the seed document's examples (one service, app-1).
        "seed": samples.create_repository(root / "seed", SEED_CONNECTOR_FILES, tags=("0.0.0",)),
        "invalid-spec": samples.create_repository(
            root / "invalid-spec", {"connect.yaml": "deployAs: [{name: x}]\n"}
        ),
    }


SEED_CONNECTOR_FILES = {
    "connect.yaml": (
        "deployAs:\n"
        "  - name: app-1\n"
        "    applicationType: service\n"
        "    endpoint: /app-1\n"
        "    configuration:\n"
        "      standardConfiguration:\n"
        "        - key: CONFIG_KEY\n"
        "          description: config key description\n"
        "      securedConfiguration:\n"
        "        - key: CONFIG_SECRET_KEY\n"
        "          description: config secret description\n"
    ),
    "app-1/package.json": '{"name": "app-1", "version": "1.0.0", "scripts": {"build": "true", '
    '"start": "node src/index.js"}}\n',
    "app-1/src/index.js": "console.log('app-1');\n",
}


@pytest.fixture
def good_repo(repositories) -> samples.SampleRepository:
    return repositories["good"]


def draft_body(repository_url: str, tag: str = "1.0.0", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": "connector-key",
        "name": "Connector's name",
        "description": "Connector's description",
        "creator": {
            "title": "Mr",
            "name": "John Doe",
            "email": "john.doe@example.com",
            "company": "commercetools",
            "noOfContributors": 200,
        },
        "repository": {"url": repository_url, "tag": tag},
        "privateProjects": [],
        "supportedRegions": ["us-central1.gcp", "europe-west1.gcp"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def create_draft(api, good_repo):
    """Create a draft through the API; returns its representation."""

    def create(caller: ApiCaller | None = None, **overrides: Any) -> dict[str, Any]:
        response = (caller or api).post(
            "/connectors/drafts", draft_body(good_repo.url, **overrides)
        )
        assert response.status_code == 201, response.content
        return response.json()

    return create


# --- the dashboard's people and drafts ----------------------------------------------------

PASSWORD = "correct horse battery staple"


def make_user(django_user_model, username: str, **extra: Any):
    return django_user_model.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.com", **extra
    )


@pytest.fixture
def creator(django_user_model, project: Project):
    user = make_user(django_user_model, "creator", first_name="Cleo", last_name="Creator")
    project.members.add(user)
    return user


@pytest.fixture
def other_creator(django_user_model, other_project: Project):
    user = make_user(django_user_model, "other-creator")
    other_project.members.add(user)
    return user


def make_certifier(django_user_model, username: str):
    user = make_user(django_user_model, username)
    group, _ = Group.objects.get_or_create(name=CERTIFIERS_GROUP)
    user.groups.add(group)
    return user


@pytest.fixture
def certifier(django_user_model):
    return make_certifier(django_user_model, "certifier")


@pytest.fixture
def second_certifier(django_user_model):
    return make_certifier(django_user_model, "second-certifier")


@pytest.fixture
def support(django_user_model):
    return make_user(django_user_model, "support", is_staff=True, is_superuser=True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def creator_client(creator) -> Client:
    return signed_in(creator)


@pytest.fixture
def other_client(other_creator) -> Client:
    return signed_in(other_creator)


@pytest.fixture
def certifier_client(certifier) -> Client:
    return signed_in(certifier)


@pytest.fixture
def support_client(support) -> Client:
    return signed_in(support)


HTMX = {"HX-Request": "true"}


@pytest.fixture
def make_draft(project, creator, good_repo):
    """Create a draft the way the API does (reading connect.yaml from a real repository)."""
    counter = iter(range(1, 1000))

    def make(target: Project | None = None, **overrides: Any) -> ConnectorStaged:
        number = next(counter)
        overrides.setdefault("key", f"draft-{number}")
        overrides.setdefault("name", f"Draft number {number}")
        body = parse_draft(draft_body(good_repo.url, **overrides))
        return services.create_draft(
            project=target or project, draft=body, actor=Actor(label="creator", user=creator)
        )

    return make


@pytest.fixture
def draft(make_draft) -> ConnectorStaged:
    return make_draft(key="sample-connector", name="Sample connector")


def move_to(draft: ConnectorStaged, **fields: Any) -> ConnectorStaged:
    """Put a draft in a state a pipeline or a certifier would have left it in."""
    if "status" in fields:
        fields.setdefault("status_changed_at", timezone.now())
    ConnectorStaged.objects.filter(pk=draft.pk).update(**fields)
    draft.refresh_from_db()
    return draft


def rename_elsewhere(draft, name: str, label: str = "acme-shop") -> None:
    """Someone else (the CLI through the API) changes the draft meanwhile."""
    body = parse_update(
        {"version": draft.version, "actions": [{"action": "setName", "name": name}]}
    )
    apply_update_actions(
        projects=draft.project,
        version=body.version,
        actions=body.actions,
        actor=Actor(label=label),
        id=str(draft.id),
    )
