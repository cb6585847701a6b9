"""Create a demo: users, a project with an API client, sample repositories and drafts.

    python manage.py seed_demo [--password P]

Users ``creator`` (member of the project ``demo-shop``), ``certifier`` (group
``certifiers``) and ``support`` (staff) get the password given, ``workbench-demo`` by
default. Two local git repositories are built under ``<var>/demo-repos/``: a good
connector and a broken one (connect.yaml lists a ``job`` application whose folder is
missing). Drafts are put in several states through the same functions the API, the
pipeline and the certifiers use. Running it again keeps what exists and resets the
passwords. The demo API client's secret is kept in ``<var>/demo-client.json`` (readable by
its owner only) and printed on every run, so saved credentials keep working; a new secret
is issued only when that file is gone or no longer matches the client.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser

from certification import services as certification
from certification.selectors import offered_reasons
from connectors import pipelines, samples
from connectors.drafts import Actor
from connectors.models import ApiClient, ConnectorStaged, PipelineRun, Project
from connectors.oauth import check_client_secret
from connectors.parsing import parse_draft, parse_update
from connectors.pipelines import NewEntry
from connectors.roles import CERTIFIERS_GROUP
from connectors.services import (
    create_api_client,
    create_draft,
    ensure_project,
    rotate_api_client_secret,
)
from connectors.state import EntryType
from connectors.update_actions import apply_update_actions

DEFAULT_PASSWORD = "workbench-demo"
PROJECT_KEY = "demo-shop"
PROJECT_REGION = "europe-west1.gcp"
API_CLIENT_NAME = "demo-shop demo client"


class Command(BaseCommand):
    help = "Create demo users, a project, sample repositories and drafts (safe to run twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password of the demo users (default: {DEFAULT_PASSWORD})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password: str = options["password"]
        users = self._users(password)
        project = ensure_project(key=PROJECT_KEY, region=PROJECT_REGION)
        project.members.add(users["creator"])
        client_id, secret = self._api_client(project)
        created: list[str] = []
        if settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES:
            repositories = self._repositories(Path(settings.VAR_DIR) / "demo-repos")
            created = Drafts(project, users, repositories, self.stderr.write).create()
        else:
            self.stderr.write(
                "Local repositories are not allowed (CONNECTORS_ALLOW_LOCAL_REPOSITORIES is "
                "off): no sample repositories or drafts were made. `./workbench run` turns it on."
            )
        self._report(password, client_id, secret, project, created)

    def _users(self, password: str) -> dict[str, Any]:
        user_model = get_user_model()
        certifiers, _ = Group.objects.get_or_create(name=CERTIFIERS_GROUP)
        users = {}
        for username, staff in (("creator", False), ("certifier", False), ("support", True)):
            user, _ = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@demo.example"}
            )
            user.set_password(password)
            user.is_staff = user.is_superuser = staff
            user.save()
            users[username] = user
        users["certifier"].groups.add(certifiers)
        return users

    def _api_client(self, project: Project) -> tuple[str, str]:
        """The demo client's id and secret: the kept ones while they still match the client.

        Only the secret's hash is in the database, so the secret itself is kept in a file
        under the var folder, readable by its owner only.
        """
        kept_file = Path(settings.VAR_DIR) / "demo-client.json"
        existing = (
            ApiClient.objects.select_related("application")
            .filter(project=project, name=API_CLIENT_NAME, revoked_at__isnull=True)
            .first()
        )
        try:
            kept = json.loads(kept_file.read_text())
            client_id, secret = str(kept["client_id"]), str(kept["client_secret"])
        except (OSError, ValueError, KeyError, TypeError):
            client_id = secret = ""
        if (
            existing is not None
            and existing.application.client_id == client_id
            and check_client_secret(secret, existing.application.client_secret)
        ):
            return client_id, secret
        if existing is not None:
            client_id = existing.application.client_id
            secret = rotate_api_client_secret(api_client=existing)
        else:
            issued = create_api_client(
                project=project, scopes=["manage_connectors"], name=API_CLIENT_NAME
            )
            client_id, secret = issued.client_id, issued.client_secret
        kept_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(kept_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump({"client_id": client_id, "client_secret": secret}, out)
        return client_id, secret

    def _repositories(self, root: Path) -> dict[str, str]:
        """The sample repositories' file:// URLs, built on the first run only."""
        variants = {
            "good-connector": (samples.good_connector_files, ("1.0.0", "1.1.0")),
            "broken-connector": (samples.missing_application_folder_files, ("1.0.0",)),
        }
        urls = {}
        for name, (files, tags) in variants.items():
            path = root / name
            if not (path / ".git").exists():
                samples.create_repository(path, files(), tags=tags)
            urls[name] = path.resolve().as_uri()
        return urls

    def _report(
        self, password: str, client_id: str, secret: str, project: Project, created: list[str]
    ) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS("Connector Workbench demo is ready."))
        write(f"  Sign in as creator, certifier or support with the password: {password}")
        write(f"  Project {project.key} ({project.region}), API client (manage_connectors):")
        write(f"    client_id:     {client_id}")
        write(f"    client_secret: {secret}")
        write(
            f"    (kept in {Path(settings.VAR_DIR) / 'demo-client.json'}; delete that file and "
            "run seed_demo again for a new secret)"
        )
        write(f"    scope:         manage_connectors:{project.key}")
        if created:
            write(f"  New drafts: {', '.join(created)}")
        else:
            write("  Drafts: kept the existing ones.")


class Drafts:
    """The demo drafts, each brought to its state by the domain's own functions."""

    def __init__(
        self,
        project: Project,
        users: dict[str, Any],
        repositories: dict[str, str],
        warn: Callable[[str], Any],
    ) -> None:
        self.project = project
        self.creator = Actor(label="creator", user=users["creator"])
        self.certifier = Actor(label="certifier", user=users["certifier"], is_certifier=True)
        self.repositories = repositories
        self.warn = warn

    def create(self) -> list[str]:
        plans: list[tuple[str, str, str, Callable[[ConnectorStaged], None]]] = [
            ("demo-order-export", "Order export", "good-connector", lambda d: None),
            ("demo-broken-export", "Broken export", "broken-connector", self.failed_preview),
            ("demo-cart-sync", "Cart sync", "good-connector", self.published_with_changes),
            ("demo-tax-rates", "Tax rates", "good-connector", self.waiting_for_certification),
            ("demo-loyalty-points", "Loyalty points", "good-connector", self.rejected),
            ("demo-search-bridge", "Search bridge", "good-connector", self.certified),
        ]
        created = []
        for key, name, repository, bring in plans:
            if ConnectorStaged.objects.filter(key=key).exists():
                continue
            draft = create_draft(
                project=self.project,
                draft=parse_draft(self._body(key, name, self.repositories[repository])),
                actor=self.creator,
            )
            bring(draft)
            created.append(key)
        return created

    def _body(self, key: str, name: str, url: str) -> dict[str, Any]:
        return {
            "key": key,
            "name": name,
            "description": f"{name}: a sample connector of the Connector Workbench demo.",
            "integrationTypes": ["oms"],
            "creator": {
                "name": "Casey Creator",
                "email": "creator@demo.example",
                "company": "Demo Shop Ltd",
                "noOfContributors": 2,
            },
            "repository": {"url": url, "tag": "1.0.0"},
            "supportedRegions": [PROJECT_REGION],
        }

    # --- requests and runs -------------------------------------------------------------------

    def _update(self, draft: ConnectorStaged, *actions: dict[str, Any]) -> ConnectorStaged:
        draft.refresh_from_db()
        body = parse_update({"version": draft.version, "actions": list(actions)})
        try:
            return apply_update_actions(
                projects=self.project,
                version=body.version,
                actions=body.actions,
                actor=self.creator,
                id=str(draft.id),
            )
        except Exception as exc:
            self.warn(f"Could not queue the run ({exc}); it runs here instead.")
            draft.refresh_from_db()
            return draft

    def _run(self, draft: ConnectorStaged, *, preview: bool) -> None:
        """Run the requested pipeline here with its local checks, unless a worker took it."""
        from connectors.checks.specification import SpecificationCheck
        from connectors.checks.structure import StructureCheck

        draft.refresh_from_db()
        run_id = draft.preview_run_id if preview else draft.publish_run_id
        claimed = pipelines.claim(str(run_id))
        if claimed is None:
            self._wait_for(run_id)  # a running worker took it
            return
        succeeded = pipelines.execute(claimed, [SpecificationCheck(), StructureCheck()])
        pipelines.write_entries(
            claimed,
            [
                NewEntry(
                    EntryType.INFORMATION,
                    "Demo run",
                    "seed_demo ran the specification and structure checks only; "
                    "request a new run to see every check.",
                )
            ],
        )
        pipelines.finish(claimed, succeeded=succeeded)
        draft.refresh_from_db()

    def _wait_for(self, run_id: Any, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = PipelineRun.objects.get(id=run_id)
            if run.state in PipelineRun.FINAL_STATES:
                return
            time.sleep(1)
        self.warn(f"Run {run_id} is still going; the demo continues without it.")

    def _preview(self, draft: ConnectorStaged) -> None:
        self._update(draft, {"action": "updatePreviewable"})
        self._run(draft, preview=True)

    def _publish(self, draft: ConnectorStaged, *, certification: bool) -> None:
        self._update(draft, {"action": "publish", "certification": certification})
        self._run(draft, preview=False)

    # --- the states ---------------------------------------------------------------------------

    def failed_preview(self, draft: ConnectorStaged) -> None:
        self._preview(draft)

    def published_with_changes(self, draft: ConnectorStaged) -> None:
        self._preview(draft)
        self._update(
            draft,
            {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:demo-partner"},
        )
        self._publish(draft, certification=False)
        self._update(
            draft,
            {"action": "setDescription", "description": "Keeps carts in sync; now with retries."},
        )

    def waiting_for_certification(self, draft: ConnectorStaged) -> None:
        self._publish(draft, certification=True)
        self._update(
            draft,
            {"action": "addCertificationComment", "comment": "Ready for review: all checks pass."},
        )

    def rejected(self, draft: ConnectorStaged) -> None:
        self._publish(draft, certification=True)
        draft.refresh_from_db()
        certification.claim(draft_id=draft.id, actor=self.certifier)
        draft.refresh_from_db()
        # One of the reasons support keeps, when it is still offered, and a word of our own.
        offered = {reason.code for reason in offered_reasons()}
        certification.reject(
            draft_id=draft.id,
            version=draft.version,
            actor=self.certifier,
            reason_codes=[code for code in ("tests-failing",) if code in offered],
            reason="The job application has no unit tests; add them and publish again.",
        )

    def certified(self, draft: ConnectorStaged) -> None:
        self._publish(draft, certification=True)
        certification.claim(draft_id=draft.id, actor=self.certifier)
        draft.refresh_from_db()
        certification.approve(
            draft_id=draft.id,
            version=draft.version,
            actor=self.certifier,
            note="Clear documentation and clean reports: certified.",
        )
