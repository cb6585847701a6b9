"""What several check tests share: advisory data (real OSV records synced into the tables, as
a sync would), a build cache of the test's own, and previews run with the build checks."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import pipelines, samples
from connectors.advisory_data import SyncResult, sync_advisories
from connectors.checks.build import build_checks
from connectors.models import ConnectorStaged
from tests.conftest import draft_body
from tests.connectors.checks.build_samples import reachable_folder

ADVISORIES = Path(__file__).parent / "advisories"  # real records, as OSV exports them
EARLIER = Path(__file__).parent / "advisories-earlier"  # earlier versions of some of them


@pytest.fixture
def advisory_data(db, settings) -> SyncResult:
    """The real records of ``advisories/`` synced into the tables."""
    # They are real and some years old: their age is not what these tests are about.
    settings.CONNECTORS_ADVISORY_MAX_AGE_DAYS = 100 * 365
    (result,) = sync_advisories([str(ADVISORIES)])
    assert not result.error, result.error
    return result


@pytest.fixture
def build_cache(settings) -> Iterator[Path]:
    """A build cache folder of the test's own, which the sandbox's user can reach."""
    folder = reachable_folder("build-cache-test-")
    settings.CONNECTORS_BUILD_CACHE_DIR = folder
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def previewed(api, tmp_path, build_cache, django_capture_on_commit_callbacks):
    """Run a preview with the build checks on a connector of ours; the draft afterwards."""

    def preview(files: dict[str, str]) -> ConnectorStaged:
        key = f"built-{uuid.uuid4().hex[:8]}"
        repository = samples.create_repository(tmp_path / key, files)
        created = api.post("/connectors/drafts", draft_body(repository.url, key=key))
        assert created.status_code == 201, created.content
        draft_id = created.json()["id"]
        with django_capture_on_commit_callbacks(execute=False):
            api.post(
                f"/connectors/drafts/{draft_id}",
                {"version": 1, "actions": [{"action": "updatePreviewable"}]},
            )
        draft = ConnectorStaged.objects.get(id=draft_id)
        pipelines.run_pipeline(str(draft.preview_run_id), checks=build_checks())
        draft.refresh_from_db()
        return draft

    return preview
