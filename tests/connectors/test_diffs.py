"""What changed between two reviews: fields field by field, and a repository between two
commits, against real local git repositories and real git."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connectors import samples
from connectors.diffs import (
    ComparisonFailed,
    FieldChange,
    compare_repositories,
    metadata_changes,
    place_findings,
)
from connectors.repositories import Revision
from tests.connectors.diff_samples import changed_connector

# git with an operator gitconfig of the test's own, no temporary folder left behind
# (tests/connectors/conftest.py).
pytestmark = pytest.mark.usefixtures("git_global_config", "scratch_root")


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> samples.SampleRepository:
    return changed_connector(tmp_path_factory.mktemp("diffs") / "connector")


def compare(repository: samples.SampleRepository, base: str = "1.0.0", head: str = "2.0.0"):
    return compare_repositories(
        base=Revision(repository.url, base, repository.tags[base]),
        head=Revision(repository.url, head),
    )


def by_path(result) -> dict[str, dict]:
    return {entry["path"]: entry for entry in result["files"]}


# --- the repository ----------------------------------------------------------------------------


def test_changes_in_the_deployed_folders_are_listed_with_their_line_counts(repository):
    result = compare(repository)
    files = by_path(result)
    assert {path: entry["status"] for path, entry in files.items()} == {
        "connect.yaml": "modified",
        "job/src/job.js": "removed",
        "service/logo.png": "modified",
        "service/src/huge.js": "added",
        "service/src/index.js": "modified",
        "service/src/new-name.js": "renamed",
        "shared/util.js": "modified",  # a local module the service depends on
    }
    assert (files["service/src/index.js"]["added"], files["service/src/index.js"]["removed"]) == (
        2,
        1,
    )
    assert (files["job/src/job.js"]["added"], files["job/src/job.js"]["removed"]) == (0, 1)
    assert result["folders"] == ["connect.yaml", "job", "service", "shared"]
    assert result["base"]["commit"] == repository.tags["1.0.0"]
    assert result["head"] == {"url": repository.url, "tag": "2.0.0", "commit": repository.head}
    assert result["totals"]["files"] == 7
    assert result["totals"]["added"] == sum(e["added"] or 0 for e in result["files"])


def test_files_changed_outside_the_deployed_folders_are_only_counted(repository):
    result = compare(repository)
    assert result["outside"] == {"count": 2, "paths": ["README.md", "docs/guide.md"]}
    assert not {"README.md", "docs/guide.md"} & set(by_path(result))


def test_a_renamed_file_names_its_old_path_and_shows_only_what_changed_in_it(repository):
    renamed = by_path(compare(repository))["service/src/new-name.js"]
    assert renamed["old_path"] == "service/src/old-name.js"
    assert (renamed["added"], renamed["removed"]) == (1, 1)
    lines = [line for hunk in renamed["hunks"] for line in hunk["lines"]]
    assert [(line["kind"], line["text"]) for line in lines if line["kind"] != "context"] == [
        ("removed", "export const helper20 = () => 20;"),
        ("added", "export const helper20 = () => 'twenty';"),
    ]


def test_a_binary_file_is_marked_binary_without_a_diff(repository):
    logo = by_path(compare(repository))["service/logo.png"]
    assert logo["binary"] is True
    assert (logo["added"], logo["removed"], logo["hunks"]) == (None, None, [])


def test_each_diff_line_carries_its_old_and_new_line_numbers(repository):
    index = by_path(compare(repository))["service/src/index.js"]
    [hunk] = index["hunks"]
    assert hunk["header"].startswith("@@ -1,10 +1,11 @@")
    changed = [(line["kind"], line["old"], line["new"], line["text"]) for line in hunk["lines"]]
    assert ("removed", 3, None, "const line3 = 3;") in changed
    assert ("added", None, 3, "const line3 = 'three';") in changed
    assert ("added", None, 9, "const added = true;") in changed
    assert ("context", 10, 11, "const line10 = 10;") in changed


def test_a_diff_longer_than_the_file_limit_is_cut_at_a_line_and_says_so(repository, settings):
    settings.CONNECTORS_DIFF_MAX_FILE_BYTES = 4096
    huge = by_path(compare(repository))["service/src/huge.js"]
    lines = [line for hunk in huge["hunks"] for line in hunk["lines"]]
    assert huge["added"] == 1500  # the counts are git's, for the whole file
    assert 50 < len(lines) < 100
    assert all(line["text"].endswith("';") for line in lines)  # whole lines only
    assert huge["cut"] == (
        "Cut: this file's diff is longer than 4 KiB (CONNECTORS_DIFF_MAX_FILE_BYTES); "
        "its start is shown."
    )
    assert by_path(compare(repository))["service/src/index.js"]["cut"] == ""


def test_past_the_total_limit_the_remaining_diffs_are_left_out_and_said(repository, settings):
    settings.CONNECTORS_DIFF_MAX_TOTAL_BYTES = 2048
    result = compare(repository)
    files = by_path(result)
    assert files["connect.yaml"]["hunks"] and not files["connect.yaml"]["omitted"]
    assert "CONNECTORS_DIFF_MAX_TOTAL_BYTES" in files["service/src/huge.js"]["cut"]
    left_out = [entry for entry in result["files"] if entry["omitted"]]
    assert [entry["path"] for entry in left_out] == [
        "service/src/index.js",
        "service/src/new-name.js",
        "shared/util.js",
    ]
    assert left_out[0]["omitted"] == (
        "Not shown: the diffs shown reach the limit of 2 KiB (CONNECTORS_DIFF_MAX_TOTAL_BYTES)."
    )
    assert result["cut"].startswith("3 of 7 files' diffs are not shown.")
    assert left_out[0]["added"] == 2  # still counted


def test_a_reviewed_commit_whose_tag_has_moved_is_fetched_by_its_sha(tmp_path):
    repository = changed_connector(tmp_path / "moved")
    reviewed = repository.tags["1.0.0"]
    samples.add_commit(repository, {"shared/util.js": "module.exports = 3;\n"}, tags=["1.0.0"])
    result = compare_repositories(
        base=Revision(repository.url, "1.0.0", reviewed), head=Revision(repository.url, "2.0.0")
    )
    assert result["base"]["commit"] == reviewed
    assert by_path(result)["job/src/job.js"]["status"] == "removed"


def test_a_reviewed_commit_that_is_gone_fails_with_a_clear_message(repository):
    gone = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(ComparisonFailed) as failed:
        compare_repositories(
            base=Revision(repository.url, "0.9.0", gone), head=Revision(repository.url, "2.0.0")
        )
    assert failed.value.message == (
        f"The commit {gone} (tag '0.9.0') can no longer be fetched from the Git repository "
        f"'{repository.url}'."
    )


def test_a_comparison_gets_no_more_time_than_its_limit(repository, settings):
    settings.CONNECTORS_DIFF_SECONDS = 0
    with pytest.raises(ComparisonFailed, match="timed out"):
        compare(repository)


def test_without_a_readable_connect_yaml_the_whole_repository_is_compared(tmp_path):
    repository = samples.create_repository(tmp_path / "no-spec", {"a.txt": "1\n"})
    samples.add_commit(repository, {"a.txt": "2\n", "b/c.txt": "3\n"}, tags=["2.0.0"])
    result = compare(repository)
    assert result["folders"] is None
    assert sorted(by_path(result)) == ["a.txt", "b/c.txt"]
    assert result["outside"]["count"] == 0


# --- findings at their lines -------------------------------------------------------------------


@dataclass
class Entry:
    type: str
    title: str
    message: str | None
    file: str | None
    line: int | None


def test_findings_are_placed_on_the_diff_lines_they_point_at(repository):
    result = compare(repository)
    entries = [
        Entry("Error", "Code analysis", "Request data reaches eval", "service/src/index.js", 9),
        Entry("Warning", "Code analysis", "Unchanged line", "service/src/index.js", 10),
        Entry("Warning", "Secret scanning", "Far from the change", "service/src/new-name.js", 2),
        Entry("Information", "Code analysis", "Not in the diff", "service/src/other.js", 1),
        Entry("Information", "Repository structure check succeeded", None, None, None),
    ]
    placed = place_findings(result, entries)
    index = by_path(placed)["service/src/index.js"]
    marked = {
        line["new"]: [finding.message for finding in line["findings"]]
        for hunk in index["hunks"]
        for line in hunk["lines"]
        if line["findings"]
    }
    assert marked == {9: ["Request data reaches eval"], 10: ["Unchanged line"]}
    assert index["findings_count"] == 2 and index["other_findings"] == []
    renamed = by_path(placed)["service/src/new-name.js"]
    assert [f.message for f in renamed["other_findings"]] == ["Far from the change"]
    # A removed line has no new line number: nothing is placed on it.
    assert all(
        not line["findings"]
        for hunk in index["hunks"]
        for line in hunk["lines"]
        if line["kind"] == "removed"
    )
    assert "findings" not in result["files"][0]["hunks"][0]["lines"][0]  # the input is kept


# --- fields ------------------------------------------------------------------------------------


SNAPSHOT = {
    "name": "Cart summary",
    "description": "Summarises carts.",
    "integration_types": ["tax"],
    "supported_regions": ["europe-west1.gcp", "us-central1.gcp"],
    "private": True,
    "repository_url": "https://github.com/acme/cart.git",
    "repository_tag": "1.0.0",
    "repository_commit": "a" * 40,
    "api_client": {"scopes": ["view_orders"]},
    "configurations": [
        {
            "applicationName": "service",
            "applicationType": "service",
            "standardConfiguration": [{"key": "CORS", "description": "Origins", "default": "*"}],
            "securedConfiguration": [{"key": "API_KEY", "description": "Key", "required": True}],
        },
        {
            "applicationName": "job",
            "applicationType": "job",
            "standardConfiguration": [],
            "securedConfiguration": [],
        },
    ],
    "global_configuration": None,
}


def test_unchanged_snapshots_have_no_changes():
    assert metadata_changes(SNAPSHOT, dict(SNAPSHOT)) == []


def test_field_changes_are_told_in_words_with_list_items_added_and_removed():
    after = {
        **SNAPSHOT,
        "description": "Summarises carts and orders.",
        "supported_regions": ["europe-west1.gcp", "australia-southeast1.gcp"],
        "private": False,
        "repository_tag": "2.0.0",
        "repository_commit": "b" * 40,
        "api_client": {"scopes": ["view_orders", "manage_orders"]},
    }
    assert metadata_changes(SNAPSHOT, after) == [
        FieldChange("Description", "Summarises carts.", "Summarises carts and orders."),
        FieldChange("Repository tag", "1.0.0", "2.0.0"),
        FieldChange(
            "API client scopes",
            "view_orders",
            "view_orders, manage_orders",
            added=("manage_orders",),
        ),
        FieldChange("Private", "yes", "no"),
        FieldChange(
            "Supported regions",
            "europe-west1.gcp, us-central1.gcp",
            "europe-west1.gcp, australia-southeast1.gcp",
            added=("australia-southeast1.gcp",),
            removed=("us-central1.gcp",),
        ),
        FieldChange("Repository commit", "a" * 12, "b" * 12),
    ]


def test_applications_and_their_configuration_keys_are_compared_item_by_item():
    service = SNAPSHOT["configurations"][0]
    after = {
        **SNAPSHOT,
        "configurations": [
            {
                **service,
                "standardConfiguration": [
                    {"key": "CORS", "description": "Allowed origins", "default": "*"},
                    {"key": "TIMEOUT", "description": "Seconds"},
                ],
                "securedConfiguration": [{"key": "API_KEY", "description": "Key"}],
            },
            {"applicationName": "event", "applicationType": "event"},
        ],
        "global_configuration": {"securedConfiguration": [{"key": "CTP_SECRET"}]},
    }
    assert metadata_changes(SNAPSHOT, after) == [
        FieldChange("Applications", added=("event (event)",), removed=("job (job)",)),
        FieldChange(
            "Configuration of application service",
            added=("TIMEOUT (standard)",),
            changed=("CORS: description “Origins” → “Allowed origins”", "API_KEY: now optional"),
        ),
        FieldChange("Global configuration", added=("CTP_SECRET (secured)",)),
    ]


def test_a_field_the_older_snapshot_did_not_keep_is_left_out():
    before = {name: value for name, value in SNAPSHOT.items() if name != "description"}
    assert metadata_changes(before, {**SNAPSHOT, "description": "New"}) == []
