"""The container files: the compose file against the Compose specification, and its promises.

No Docker engine runs here; the commands the services run are run by other tests
(tests/config/test_observability.py serves with the web command and probes with the web
healthcheck; the worker and migrate commands run throughout the suite).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from .compose_file import ROOT, compose

SCHEMA = Path(__file__).parent / "compose_spec" / "compose-spec.json"
APP_SERVICES = ("migrate", "web", "worker", "beat")


def test_the_compose_file_follows_the_compose_specification():
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()))
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(compose())
    ]
    assert problems == []


def test_the_schema_check_would_see_a_broken_file():
    broken = compose()
    broken["services"]["web"]["restart"] = ["always"]
    broken["services"]["worker"]["healthcheck"]["interval"] = 30
    validator = Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert len(list(validator.iter_errors(broken))) >= 2


def test_every_service_restarts_and_the_app_waits_for_a_one_shot_migrate():
    services = compose()["services"]
    assert set(APP_SERVICES) | {"db", "redis"} <= set(services)
    for name, service in services.items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, name
    assert services["migrate"]["command"].startswith("python -m django migrate")
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_services_have_healthchecks_and_workers_can_be_scaled():
    services = compose()["services"]
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert not any("container_name" in service for service in services.values())
    assert "ports" not in services["worker"]
    assert (
        services["web"]["command"] == "gunicorn -c python:config.gunicorn config.asgi:application"
    )


def test_the_secret_key_must_be_given():
    environment = compose()["services"]["web"]["environment"]
    assert re.fullmatch(r"\$\{SECRET_KEY:\?.+\}", environment["SECRET_KEY"])


def test_the_image_runs_as_an_unprivileged_user_and_ships_no_local_state():
    dockerfile = (ROOT / "config" / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "COPY . ." not in dockerfile
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "var", "**/__pycache__", "test-results"} <= ignored
