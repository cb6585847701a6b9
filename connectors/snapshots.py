"""What a repository's connect.yaml says at one tag, for create and setRepository."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .errors import (
    ConnectErrors,
    ConnectorSpecificationFileNotFound,
    ConnectorSpecificationFileNotValid,
    InvalidJsonInput,
)
from .parsing import GENERIC_MESSAGE
from .values import LOCAL_REPOSITORY_URL_PATTERN, REPOSITORY_TAG_PATTERN, REPOSITORY_URL_PATTERN

_url = re.compile(REPOSITORY_URL_PATTERN)
_local_url = re.compile(LOCAL_REPOSITORY_URL_PATTERN)
_tag = re.compile(REPOSITORY_TAG_PATTERN)


@dataclass(frozen=True)
class RepositorySnapshot:
    commit: str
    configurations: list[dict[str, Any]]
    global_configuration: dict[str, Any] | None
    api_client: dict[str, Any] | None


def check_repository_values(*, url: str, tag: str, where: str = "repository") -> None:
    """The url and tag patterns of reference §3 (``file://`` only where allowed)."""
    errors = []
    local_ok = settings.CONNECTORS_ALLOW_LOCAL_REPOSITORIES and _local_url.match(url)
    if not (_url.match(url) or local_ok):
        errors.append(
            InvalidJsonInput(
                GENERIC_MESSAGE,
                at=(where, "url"),
                problem=f"'{url}' is not an HTTPS or SSH Git URL ending in .git.",
                rule="string_pattern_mismatch",
            )
        )
    if not _tag.match(tag):
        errors.append(
            InvalidJsonInput(
                GENERIC_MESSAGE,
                at=(where, "tag"),
                problem=f"'{tag}' does not match the pattern {REPOSITORY_TAG_PATTERN}.",
                rule="string_pattern_mismatch",
            )
        )
    if errors:
        raise ConnectErrors(errors)


def read_repository_snapshot(*, url: str, tag: str) -> RepositorySnapshot:
    """Fetch connect.yaml at ``tag`` (cached per commit) and read it at the acceptance level.

    Raises InvalidJsonInput (bad url/tag), GitRepositoryNotReachable,
    ConnectorSpecificationFileNotFound and ConnectorSpecificationFileNotValid.
    """
    from .repositories import read_specification_file
    from .spec.acceptance import read_specification

    check_repository_values(url=url, tag=tag)
    spec_file = read_specification_file(url, tag)
    if spec_file.content is None:
        raise ConnectorSpecificationFileNotFound(
            f"Connector specification file not found: the repository has no connect.yaml at "
            f"its root for tag '{tag}'."
        )
    try:
        accepted = read_specification(spec_file.content)
    except ConnectorSpecificationFileNotValid:
        raise
    return RepositorySnapshot(
        commit=spec_file.commit,
        configurations=accepted.configurations,
        global_configuration=accepted.global_configuration,
        api_client=accepted.api_client,
    )
