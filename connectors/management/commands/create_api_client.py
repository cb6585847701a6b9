"""Create an API client for a project and print its credentials once, as JSON."""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.services import create_api_client, ensure_project
from connectors.values import PROJECT_KEY_PATTERN, REGIONS, SCOPE_NAMES


class Command(BaseCommand):
    help = "Create an OAuth API client for a project (the project too, if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="project key")
        parser.add_argument("--region", choices=REGIONS, help="project region (new projects)")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=SCOPE_NAMES,
            help="a scope the client may ask for; repeat for several",
        )
        parser.add_argument("--name", help="a name for the client")

    def handle(self, *args, **options) -> None:
        key = options["project"]
        if not re.match(PROJECT_KEY_PATTERN, key):
            raise CommandError(f"Project key '{key}' must match {PROJECT_KEY_PATTERN}.")
        project = ensure_project(key=key, region=options["region"])
        issued = create_api_client(project=project, scopes=options["scope"], name=options["name"])
        self.stdout.write(
            json.dumps(
                {
                    "client_id": issued.client_id,
                    "client_secret": issued.client_secret,
                    "project": project.key,
                    "scopes": [f"{s}:{project.key}" for s in issued.api_client.scopes],
                }
            )
        )
