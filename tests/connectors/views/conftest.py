"""The dashboard's cast: creators of two projects, a certifier, support; drafts in states."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from connectors.drafts import Actor
from connectors.models import ConnectorStaged, Project
from connectors.parsing import parse_draft
from connectors.roles import CERTIFIERS_GROUP
from connectors.services import create_draft
from tests.conftest import draft_body

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
        return create_draft(
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
