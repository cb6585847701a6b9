"""The domain's exception hierarchy.

Every class carries the API error ``code``, the HTTP status and any extra fields of
the commercetools error format. Services raise these; the API's exception handler and
the pages render them, so a rule's error exists once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any


class ConnectError(Exception):
    """Base class: one API error, possibly with siblings of the same status."""

    code = "General"
    status = 500
    default_message = "An unexpected error occurred."
    # Where in the request body the problem is (``("creator", "email")``) and what it is,
    # as data for the pages: () when the error concerns no one field.
    location: tuple[str, ...] = ()
    problem: str | None = None
    # Which rule refused the input (pydantic's error type, ``string_too_short``) and its
    # limits (``{"max_length": 256}``): the pages word it for people; the API never shows it.
    rule: str | None = None
    rule_context: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = {key: value for key, value in extra.items() if value is not None}
        super().__init__(self.message)

    def as_error(self) -> dict[str, Any]:
        """The entry of the ``errors`` list for this error."""
        return {"code": self.code, "message": self.message, **self.extra}


class ConnectErrors(ConnectError):
    """Several errors of one status returned together (three invalid fields: three entries)."""

    def __init__(self, errors: Sequence[ConnectError]) -> None:
        if not errors:
            raise ValueError("ConnectErrors needs at least one error")
        self.errors = list(errors)
        first = errors[0]
        self.code = first.code
        self.status = first.status
        super().__init__(first.message)

    def as_errors(self) -> list[dict[str, Any]]:
        return [error.as_error() for error in self.errors]


class InvalidInput(ConnectError):
    """Bad input: the errors of this family add a ``detailedErrorMessage``."""

    code = "InvalidInput"
    status = 400
    default_message = "The request is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        detailed: str | None = None,
        at: Sequence[str] = (),
        problem: str | None = None,
        rule: str | None = None,
        rule_context: Mapping[str, Any] | None = None,
    ) -> None:
        """``at`` and ``problem`` say where in the body and what: the detailed message is
        then ``a -> b: problem`` (``body: problem`` without a location). ``rule`` and
        ``rule_context`` name the rule that refused it, as data for the pages."""
        if problem is not None:
            detailed = f"{' -> '.join(at) or 'body'}: {problem}"
        super().__init__(message, detailedErrorMessage=detailed or message)
        self.location = tuple(at)
        self.problem = problem
        self.rule = rule
        self.rule_context = MappingProxyType(dict(rule_context or {}))


class InvalidJsonInput(InvalidInput):
    code = "InvalidJsonInput"
    default_message = "Request body does not contain valid JSON."


class InvalidQueryParam(InvalidInput):
    code = "InvalidQueryParam"
    default_message = "Request query parameters are not valid."


class InvalidPathParam(InvalidInput):
    code = "InvalidPathParam"
    default_message = "Request path parameters are not valid."


class RequestTooLarge(InvalidInput):
    status = 413
    default_message = "The request body is too large."


class MethodNotAllowed(ConnectError):
    code = "MethodNotAllowed"
    status = 405
    default_message = "This method is not allowed on this endpoint."


class TooManyRequests(ConnectError):
    """Throttled: ``retry_after`` seconds until the caller may try again (``Retry-After``)."""

    code = "TooManyRequests"
    status = 429
    default_message = "Too many requests: try again later."

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class DuplicateField(ConnectError):
    code = "DuplicateField"
    status = 400

    def __init__(self, *, field: str, value: Any) -> None:
        super().__init__(
            f"A duplicate value '{value}' exists for field '{field}'.",
            field=field,
            duplicateValue=value,
        )


class InvalidOperation(ConnectError):
    code = "InvalidOperation"
    status = 400


class ConnectorStagedNotPrivate(ConnectError):
    code = "ConnectorStagedNotPrivate"
    status = 400
    default_message = "The connector is not private: it has no private projects to change."


class ConnectorStagedPreviewRequestUnderProcess(ConnectError):
    code = "ConnectorStagedPreviewRequestUnderProcess"
    status = 400
    default_message = "A previewable request for this connector is already being processed."


class ConnectorStagedInCertification(ConnectError):
    code = "ConnectorStagedInCertification"
    status = 400
    default_message = "The connector is in certification."


class ConnectorAlreadyCertified(ConnectError):
    code = "ConnectorAlreadyCertified"
    status = 400
    default_message = "The connector is already certified and has no changes to certify."


class GitRepositoryNotReachable(ConnectError):
    code = "GitRepositoryNotReachable"
    status = 400
    default_message = "The Git repository or its tag could not be reached."


class GitTagNotFound(GitRepositoryNotReachable):
    """The repository answered but has no such tag: the same API error, placed at the tag."""

    location = ("repository", "tag")


class ConnectorSpecificationFileNotFound(ConnectError):
    code = "ConnectorSpecificationFileNotFound"
    status = 400
    default_message = "Connector specification file not found."


class ConnectorSpecificationFileNotValid(ConnectError):
    code = "ConnectorSpecificationFileNotValid"
    status = 400
    default_message = "Connector specification file is not valid."


class InvalidToken(ConnectError):
    code = "invalid_token"
    status = 401
    default_message = "The access token is missing, invalid or expired."


class InsufficientScope(ConnectError):
    code = "insufficient_scope"
    status = 403
    default_message = "The access token does not grant the scope this request needs."


class ResourceNotFound(ConnectError):
    code = "ResourceNotFound"
    status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "The resource could not be found.")


class ConcurrentModification(ConnectError):
    code = "ConcurrentModification"
    status = 409

    def __init__(self, *, expected: int, current: int) -> None:
        super().__init__(
            "Object has a different version than expected. "
            f"Expected: {expected} - Actual: {current}.",
            expectedVersion=expected,
            currentVersion=current,
        )
