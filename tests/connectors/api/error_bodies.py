"""The Connect error body an API answer must have when it refuses a request."""

from __future__ import annotations

from connectors.schemas import ErrorResponse


def error_of(response, status: int, code: str) -> dict:
    """The error body of ``response``, asserted to be ``status`` with ``code`` first, in the
    documented shape, and without a traceback."""
    assert response.status_code == status, response.content
    body = response.json()
    ErrorResponse.model_validate(body)
    assert body["statusCode"] == status
    assert body["errors"][0]["code"] == code, body
    assert body["message"] == body["errors"][0]["message"]
    assert "Traceback" not in response.content.decode()
    return body
