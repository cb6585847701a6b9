"""The generated OpenAPI schema describes the real request and response shapes."""

from __future__ import annotations

import yaml as _unused  # noqa: F401  (pyyaml ships with drf-spectacular)
from django.test import Client


def test_schema_lists_every_endpoint_with_its_shapes(db):
    response = Client().get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    if schema is None:
        import yaml

        schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in (
        "/connectors/drafts",
        "/connectors/drafts/{id}",
        "/connectors/drafts/key={key}",
        "/connectors/{id}",
        "/connectors/key={key}",
        "/connectors/search",
    ):
        assert path in paths, path
    components = schema["components"]["schemas"]
    for name in (
        "ConnectorStaged",
        "ConnectorStagedDraft",
        "ConnectorStagedUpdate",
        "ErrorResponse",
        "SetRepository",
    ):
        assert name in components, name
    staged = components["ConnectorStaged"]["properties"]
    assert {"isPreviewable", "previewableReport", "publishingReport", "hasChanges"} <= set(staged)
    post = paths["/connectors/drafts/{id}"]["post"]
    assert "201" in post["responses"] and "409" in post["responses"]


def test_docs_page_is_served(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    # The page's own script (served from here, within the CSP) loads the schema.
    assert b'<script src="/api/docs/?script="></script>' in response.content
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert b"/api/schema/" in script.content
