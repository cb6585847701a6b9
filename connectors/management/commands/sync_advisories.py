"""``manage.py sync_advisories [SOURCE ...]``: import OSV advisory data for npm and Maven.

A SOURCE is the URL or path of an OSV export zip (``<ecosystem>/all.zip``) or a folder of
OSV JSON files; without one, the sources ``CONNECTORS_ADVISORY_SOURCE`` lists. Prints one
line per source; exits with status 1, after trying every source, if any could not be read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.advisory_data import sync_advisories
from connectors.checks.advisories import advisory_sources


class Command(BaseCommand):
    help = "Import OSV advisory data (npm and Maven) from export zips, URLs or folders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "sources",
            nargs="*",
            metavar="SOURCE",
            help="URL or path of an OSV export zip, or a folder of OSV JSON files "
            "(default: CONNECTORS_ADVISORY_SOURCE)",
        )

    def handle(self, *args: object, sources: list[str], **options: object) -> None:
        chosen = sources or advisory_sources(settings.CONNECTORS_ADVISORY_SOURCE)
        results = sync_advisories(chosen)
        failed = [result for result in results if result.error]
        for result in results:
            if not result.error:
                self.stdout.write(str(result))
        if failed:
            raise CommandError("; ".join(result.error for result in failed))
