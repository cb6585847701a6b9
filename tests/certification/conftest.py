"""The certification tests use the dashboard's cast."""

from tests.connectors.views.conftest import (  # noqa: F401 - fixtures
    certifier,
    certifier_client,
    creator,
    creator_client,
    draft,
    make_draft,
    other_creator,
    second_certifier,
    support,
)
