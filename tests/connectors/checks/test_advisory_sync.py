"""Importing OSV advisory data: from folders, zips and URLs, incrementally, and failing cleanly."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection

from connectors import tasks
from connectors.advisory_data import sync_advisories
from connectors.checks.advisories import find_advisories
from connectors.models import AdvisorySync, OsvAdvisory, OsvAdvisoryPackage

from .conftest import ADVISORIES, EARLIER

ROOT = Path(__file__).resolve().parents[3]
SYNCED = [
    "GHSA-29mw-wpgm-hmr9",
    "GHSA-35jh-r3h4-6jhm",
    "GHSA-jfh8-c2jp-5v3q",
    "GHSA-p8p7-x288-28g6",
    "GHSA-xvch-5gv4-984h",
    "MAL-2025-20690",
]
NEWEST = datetime(2025, 8, 14, 18, 52, 4, tzinfo=UTC)  # MAL-2025-20690's "modified"


def export_zip(folder: Path, destination: Path) -> Path:
    """A zip laid out like OSV's per-ecosystem all.zip: one <ID>.json record per file."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.json")):
            archive.writestr(path.name, path.read_bytes())
    return destination


def stored() -> dict[str, datetime]:
    return dict(OsvAdvisory.objects.order_by("id").values_list("id", "modified"))


def indexed(advisory_id: str) -> set[tuple[str, str]]:
    rows = OsvAdvisoryPackage.objects.filter(advisory_id=advisory_id)
    return set(rows.values_list("ecosystem", "name"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_folder_of_osv_records_is_imported_for_npm_and_maven(db):
    (result,) = sync_advisories([str(ADVISORIES)])

    assert result.error == ""
    assert dict(result.counts) == {"added": 6, "withdrawn": 1, "ignored": 1}
    assert result.newest_modified == NEWEST
    assert list(stored()) == SYNCED  # not the withdrawn one, nor the PyPI one
    assert indexed("GHSA-35jh-r3h4-6jhm") == {
        ("npm", "lodash"),
        ("npm", "lodash-es"),
        ("npm", "lodash.template"),
        ("npm", "lodash-template"),
    }
    assert ("Maven", "com.guicedee.services:log4j-core") in indexed("GHSA-jfh8-c2jp-5v3q")
    injection = OsvAdvisory.objects.get(id="GHSA-35jh-r3h4-6jhm")
    assert (injection.severity, injection.severity_known) == ("HIGH", True)
    assert injection.aliases == ["CVE-2021-23337"]
    assert injection.published == datetime(2021, 5, 6, 16, 5, 51, tzinfo=UTC)
    malicious = OsvAdvisory.objects.get(id="MAL-2025-20690")
    assert (malicious.severity, malicious.severity_known) == ("MODERATE", False)
    log = AdvisorySync.objects.get()
    assert (log.source, log.error, log.newest_modified) == (str(ADVISORIES), "", NEWEST)
    assert log.counts["added"] == 6
    assert log.started_at <= log.finished_at


def test_an_osv_export_zip_gives_the_same_data_as_its_folder(db, tmp_path):
    archive = export_zip(ADVISORIES, tmp_path / "all.zip")

    (result,) = sync_advisories([str(archive)])

    assert result.error == ""
    assert dict(result.counts) == {"added": 6, "withdrawn": 1, "ignored": 1}
    assert list(stored()) == SYNCED
    found = find_advisories([("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")])
    assert [m.fixed for m in found[("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")]] == [
        "2.15.0"
    ]


def test_a_resync_skips_unchanged_records_and_applies_a_newer_modified(db):
    sync_advisories([str(EARLIER)])  # GHSA-35jh-r3h4-6jhm as it was in 2022
    assert stored() == {"GHSA-35jh-r3h4-6jhm": datetime(2022, 2, 8, 21, 35, 9, tzinfo=UTC)}
    assert ("npm", "lodash.template") not in indexed("GHSA-35jh-r3h4-6jhm")
    assert find_advisories([("npm", "lodash.template", "4.5.0")]) == {}

    (newer,) = sync_advisories([str(ADVISORIES)])

    assert dict(newer.counts) == {"added": 5, "updated": 1, "withdrawn": 1, "ignored": 1}
    assert stored()["GHSA-35jh-r3h4-6jhm"] == datetime(2024, 4, 17, 18, 39, 19, tzinfo=UTC)
    assert ("npm", "lodash.template") in indexed("GHSA-35jh-r3h4-6jhm")
    assert list(find_advisories([("npm", "lodash.template", "4.5.0")])) == [
        ("npm", "lodash.template", "4.5.0")
    ]

    (again,) = sync_advisories([str(ADVISORIES)])
    assert dict(again.counts) == {"unchanged": 6, "withdrawn": 1, "ignored": 1}

    # An older copy of a record never replaces a newer one.
    (older,) = sync_advisories([str(EARLIER)])
    assert dict(older.counts) == {"unchanged": 1}
    assert ("npm", "lodash.template") in indexed("GHSA-35jh-r3h4-6jhm")


def test_a_withdrawn_record_is_dropped_and_deleted_when_it_was_stored(db, tmp_path):
    withdrawn = json.loads((ADVISORIES / "GHSA-57m8-f3v5-hm5m.json").read_text())
    # The same record as it stood before its withdrawal.
    before = {key: value for key, value in withdrawn.items() if key != "withdrawn"}
    before["modified"] = before["published"]
    folder = tmp_path / "before"
    folder.mkdir()
    (folder / "GHSA-57m8-f3v5-hm5m.json").write_text(json.dumps(before))
    netty = ("Maven", "io.netty:netty-handler", "4.1.94.Final")
    sync_advisories([str(folder)])
    assert [m.advisory.id for m in find_advisories([netty])[netty]] == ["GHSA-57m8-f3v5-hm5m"]

    (result,) = sync_advisories([str(ADVISORIES)])

    assert (result.counts["withdrawn"], result.counts["removed"]) == (1, 1)
    assert "GHSA-57m8-f3v5-hm5m" not in stored()
    assert not indexed("GHSA-57m8-f3v5-hm5m")
    assert find_advisories([netty]) == {}


def test_unreadable_records_are_counted_and_the_rest_imported(db, tmp_path):
    folder = tmp_path / "osv"
    (folder / "npm").mkdir(parents=True)
    (folder / "npm" / "MAL-2025-20690.json").write_bytes(
        (ADVISORIES / "MAL-2025-20690.json").read_bytes()
    )
    (folder / "broken.json").write_text('{"id": "GHSA-broken", "modified": ')
    (folder / "no-modified.json").write_text('{"id": "GHSA-no-modified", "affected": []}')
    (folder / "list.json").write_text("[]")

    (result,) = sync_advisories([str(folder)])

    assert result.error == ""
    assert dict(result.counts) == {"added": 1, "invalid": 3}
    assert list(stored()) == ["MAL-2025-20690"]


class _ExportServer(BaseHTTPRequestHandler):
    """Serves files like OSV's export bucket, from a folder; 404 for the rest."""

    folder: Path

    def do_GET(self) -> None:
        path = self.folder / self.path.lstrip("/")
        if not path.is_file():
            self.send_error(404, "No such object")
            return
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def export_server(tmp_path) -> Iterator[str]:
    bucket = tmp_path / "bucket"
    (bucket / "npm").mkdir(parents=True)
    export_zip(ADVISORIES, bucket / "npm" / "all.zip")
    (bucket / "npm" / "truncated.zip").write_bytes((bucket / "npm" / "all.zip").read_bytes()[:900])
    handler = type("Handler", (_ExportServer,), {"folder": bucket})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_export_zip_is_downloaded_from_its_url(db, export_server):
    url = f"{export_server}/npm/all.zip"

    (result,) = sync_advisories([url])

    assert result.error == ""
    assert list(stored()) == SYNCED
    assert AdvisorySync.objects.get().source == url


def test_missing_or_broken_downloads_fail_with_one_line_and_keep_the_data(db, export_server):
    sync_advisories([str(ADVISORIES)])

    missing, broken = sync_advisories(
        [f"{export_server}/Maven/all.zip", f"{export_server}/npm/truncated.zip"]
    )

    assert missing.error == f"{export_server}/Maven/all.zip: the server answered 404 No such object"
    assert broken.error.startswith(f"{export_server}/npm/truncated.zip: not a readable zip file")
    assert "\n" not in broken.error
    assert list(stored()) == SYNCED
    failed = AdvisorySync.objects.exclude(error="").order_by("id")
    assert [(log.error, log.newest_modified) for log in failed] == [
        (missing.error, None),
        (broken.error, None),
    ]


def test_an_unreachable_url_fails_cleanly(db):
    url = f"http://127.0.0.1:{closed_port()}/npm/all.zip"

    (result,) = sync_advisories([url], timeout=5)

    assert result.error.startswith(f"{url}: cannot be reached (")
    assert "Connection refused" in result.error
    assert AdvisorySync.objects.get().error == result.error


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("http://osv.example.org/npm/all.zip", "advisory data must be downloaded over https"),
        ("ftp://osv.example.org/npm/all.zip", "not an http(s) URL"),
    ],
)
def test_only_https_urls_are_downloaded_except_from_this_machine(db, source, problem):
    (result,) = sync_advisories([source])

    assert result.error == f"{source}: {problem}"


def test_a_zip_whose_records_are_corrupt_fails_cleanly(db, tmp_path):
    archive = export_zip(ADVISORIES, tmp_path / "all.zip")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as reader:
        first = reader.infolist()[0]
    # Flip bytes inside the first record's compressed data: its CRC no longer matches.
    start = first.header_offset + 30 + len(first.filename) + 10
    data[start : start + 20] = bytes(b ^ 0xFF for b in data[start : start + 20])
    archive.write_bytes(bytes(data))

    (result,) = sync_advisories([str(archive)])

    assert result.error.startswith(f"{archive}: broken zip at {first.filename} (")
    assert not stored()


def test_a_file_that_is_not_a_zip_and_a_missing_path_fail_cleanly(db, tmp_path):
    text = tmp_path / "all.zip"
    text.write_text("<html>Not Found</html>")

    not_zip, missing = sync_advisories([str(text), str(tmp_path / "nowhere")])

    assert not_zip.error == f"{text}: not a readable zip file (File is not a zip file)"
    assert missing.error == f"{tmp_path / 'nowhere'}: no such file or folder"


def test_the_command_syncs_the_configured_sources_and_prints_one_line_each(db, settings, tmp_path):
    archive = export_zip(EARLIER, tmp_path / "all.zip")
    settings.CONNECTORS_ADVISORY_SOURCE = f"{ADVISORIES},{archive}"
    out = io.StringIO()

    call_command("sync_advisories", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines == [
        f"{ADVISORIES}: 6 added, 0 updated, 0 unchanged, 0 removed; skipped 1 withdrawn, "
        "1 of other ecosystems, 0 unreadable; newest record modified 2025-08-14T18:52:04Z",
        f"{archive}: 0 added, 0 updated, 1 unchanged, 0 removed; skipped 0 withdrawn, "
        "0 of other ecosystems, 0 unreadable; newest record modified 2022-02-08T21:35:09Z",
    ]


def test_the_command_fails_with_the_errors_after_trying_every_source(db, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/npm/all.zip"
    out = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("sync_advisories", url, str(ADVISORIES), stdout=out)

    assert str(failure.value).startswith(f"{url}: cannot be reached (")
    assert out.getvalue().startswith(f"{ADVISORIES}: 6 added")
    assert list(stored()) == SYNCED


def test_the_command_exits_non_zero_with_one_line_for_an_unreachable_url(transactional_db):
    url = f"http://127.0.0.1:{closed_port()}/npm/all.zip"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    if connection.vendor != "postgresql":
        pytest.skip("the command runs against the test database on PostgreSQL")

    done = subprocess.run(
        [sys.executable, "manage.py", "sync_advisories", url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"CommandError: {url}: cannot be reached (")


def test_the_daily_task_syncs_the_configured_sources(db, settings):
    settings.CONNECTORS_ADVISORY_SOURCE = str(ADVISORIES)

    lines = tasks.sync_advisories.apply().get()

    assert lines == [
        f"{ADVISORIES}: 6 added, 0 updated, 0 unchanged, 0 removed; skipped 1 withdrawn, "
        "1 of other ecosystems, 0 unreadable; newest record modified 2025-08-14T18:52:04Z"
    ]
    assert list(stored()) == SYNCED


def test_celery_beat_runs_the_sync_daily_at_the_configured_hour():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sync-advisories"]

    assert entry["task"] == tasks.sync_advisories.name == "connectors.sync_advisories"
    assert entry["schedule"].hour == {django_settings.CONNECTORS_ADVISORY_SYNC_HOUR}
    assert entry["schedule"].minute == {0}


def test_timestamps_with_nanoseconds_and_without_a_zone_are_read(db, tmp_path):
    record = json.loads((ADVISORIES / "MAL-2025-20690.json").read_text())
    record["modified"] = "2025-11-19T05:57:42.162407123Z"
    record["published"] = "2025-11-19T05:57:42"
    (tmp_path / "MAL-2025-20690.json").write_text(json.dumps(record))

    (result,) = sync_advisories([str(tmp_path)])

    assert result.counts["added"] == 1
    stored_record = OsvAdvisory.objects.get()
    assert stored_record.modified == datetime(2025, 11, 19, 5, 57, 42, 162407, tzinfo=UTC)
    assert stored_record.published == datetime(2025, 11, 19, 5, 57, 42, tzinfo=UTC)
