"""Sample connector repositories: real git repositories, cloned back with real git."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from connectors import samples
from connectors.samples import Symlink

MC_TYPES = {"merchant-center-custom-application", "merchant-center-custom-view"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def clone(url: str, tag: str, into: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", tag, "--", url, str(into)],
        capture_output=True,
        check=True,
    )
    return into


def load_yaml(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


@pytest.fixture
def no_git_identity(tmp_path, monkeypatch):
    """A machine where git knows no user: empty global config, no system config."""
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "EMAIL"):
        monkeypatch.delenv(variable, raising=False)


# --- building repositories ---------------------------------------------------------------


def test_a_sample_repository_clones_back_with_its_files_at_the_tag(tmp_path, no_git_identity):
    files = {"connect.yaml": "deployAs: []\n", "service/src/index.js": "// hi\n", "b.bin": b"\0\1"}
    repo = samples.create_repository(tmp_path / "origin", files)

    copy = clone(repo.url, "1.0.0", tmp_path / "copy")

    assert repo.url == (tmp_path / "origin").as_uri()
    assert (copy / "connect.yaml").read_text() == "deployAs: []\n"
    assert (copy / "service/src/index.js").read_text() == "// hi\n"
    assert (copy / "b.bin").read_bytes() == b"\0\1"
    assert git(copy, "rev-parse", "HEAD") == repo.tags["1.0.0"] == repo.head


def test_commits_carry_the_fixed_sample_identity(tmp_path, no_git_identity):
    repo = samples.create_repository(tmp_path / "origin", {"a.txt": "a\n"})

    assert git(repo.path, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == (
        "Sample Connector Author <author@connector.example>|"
        "Sample Connector Author <author@connector.example>"
    )


def test_the_same_files_make_the_same_commit(tmp_path):
    first = samples.create_repository(tmp_path / "first", {"a.txt": "a\n"})
    second = samples.create_repository(tmp_path / "second", {"a.txt": "a\n"})

    assert first.head == second.head


def test_tags_are_lightweight_by_default_and_annotated_on_request(tmp_path, no_git_identity):
    light = samples.create_repository(tmp_path / "light", {"a.txt": "a\n"}, tags=["1.0.0", "v1"])
    annotated = samples.create_repository(
        tmp_path / "annotated", {"a.txt": "a\n"}, tags=["2.0.0"], annotated=True
    )

    assert git(light.path, "cat-file", "-t", "refs/tags/1.0.0") == "commit"
    assert git(light.path, "cat-file", "-t", "refs/tags/v1") == "commit"
    assert git(annotated.path, "cat-file", "-t", "refs/tags/2.0.0") == "tag"
    assert git(annotated.path, "rev-parse", "refs/tags/2.0.0^{commit}") == annotated.head


def test_a_later_commit_adds_tags_and_moves_existing_ones(tmp_path, no_git_identity):
    repo = samples.create_repository(tmp_path / "origin", {"a.txt": "one\n"}, tags=["1.0.0"])
    first = repo.head

    second = samples.add_commit(repo, {"a.txt": "two\n"}, tags=["2.0.0", "latest"])
    samples.add_commit(repo, {}, tags=["1.0.0"], remove=["a.txt"])

    assert repo.commits == [first, second, repo.head]
    assert repo.tags == {"1.0.0": repo.head, "2.0.0": second, "latest": second}
    assert git(repo.path, "rev-parse", "refs/tags/1.0.0") == repo.head
    assert (clone(repo.url, "2.0.0", tmp_path / "two") / "a.txt").read_text() == "two\n"
    assert not (clone(repo.url, "1.0.0", tmp_path / "moved") / "a.txt").exists()


def test_a_whole_folder_can_be_removed_in_a_later_commit(tmp_path):
    repo = samples.create_repository(tmp_path / "origin", samples.good_connector_files())

    samples.add_commit(repo, {}, tags=["1.1.0"], remove=["job"])

    assert "job/package.json" not in git(repo.path, "ls-tree", "-r", "--name-only", "1.1.0")
    assert "job/package.json" in git(repo.path, "ls-tree", "-r", "--name-only", "1.0.0")


def test_symlinks_are_committed_as_links(tmp_path):
    repo = samples.create_repository(
        tmp_path / "origin", {"docs/a.md": "a\n", "README.md": Symlink("docs/a.md")}
    )

    entry = git(repo.path, "ls-tree", "1.0.0", "README.md")

    assert entry.startswith("120000 blob ")


def test_sample_files_may_not_leave_the_repository(tmp_path):
    for name in ("../outside.txt", "/etc/x", ".git/config"):
        with pytest.raises(ValueError, match="must stay inside"):
            samples.create_repository(tmp_path / "origin", {name: "x"})


# --- the good connector ------------------------------------------------------------------


def test_the_good_connector_deploys_one_application_of_each_type():
    files = samples.good_connector_files()
    spec = load_yaml(files["connect.yaml"])

    deployed = {app["name"]: app["applicationType"] for app in spec["deployAs"]}

    assert deployed == samples.GOOD_CONNECTOR_APPLICATIONS
    assert set(deployed.values()) == {
        "service",
        "event",
        "job",
        "assets",
        "merchant-center-custom-application",
        "merchant-center-custom-view",
    }


def test_every_application_has_its_folder_with_a_manifest_a_lockfile_and_code():
    files = samples.good_connector_files()

    for name, kind in samples.GOOD_CONNECTOR_APPLICATIONS.items():
        manifest = json.loads(files[f"{name}/package.json"])
        lock = json.loads(files[f"{name}/package-lock.json"])
        assert "build" in manifest["scripts"], name
        if kind != "assets":
            assert manifest["scripts"]["test"] == "node --test", name
            assert f"{name}/src/index.test.js" in files
        assert f"{name}/src/index.js" in files
        assert lock["lockfileVersion"] == 3
        installed = {path: entry for path, entry in lock["packages"].items() if path}
        assert 1 <= len(installed) <= 2, name
        assert lock["packages"][""]["dependencies"] == {
            path.removeprefix("node_modules/"): entry["version"]
            for path, entry in installed.items()
        }
        for path, entry in installed.items():
            package = path.removeprefix("node_modules/")
            assert entry["resolved"].endswith(f"/{package}-{entry['version']}.tgz")
            assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", entry["integrity"])


def test_the_good_connector_configures_what_each_type_needs():
    spec = load_yaml(samples.good_connector_files()["connect.yaml"])
    apps = {app["applicationType"]: app for app in spec["deployAs"]}

    def standard_keys(app: dict) -> dict[str, dict]:
        entries = app["configuration"]["standardConfiguration"]
        return {entry["key"]: entry for entry in entries}

    assert apps["service"]["endpoint"] == "/service"
    assert apps["event"]["endpoint"] == "/event"
    assert apps["job"]["endpoint"] == "/job"
    assert apps["job"]["properties"]["schedule"] == "0 0 * * *"
    assert set(apps["assets"]) == {"name", "applicationType"}
    custom_application = standard_keys(apps["merchant-center-custom-application"])
    assert custom_application["CUSTOM_APPLICATION_ID"]["required"] is True
    assert custom_application["ENTRY_POINT_URI_PATH"]["required"] is True
    assert custom_application["CLOUD_IDENTIFIER"]["default"] == "gcp-eu"
    custom_view = standard_keys(apps["merchant-center-custom-view"])
    assert custom_view["CUSTOM_VIEW_ID"]["required"] is True
    assert custom_view["CLOUD_IDENTIFIER"]["default"] == "gcp-eu"
    for kind in MC_TYPES:
        assert "securedConfiguration" not in apps[kind]["configuration"]
        assert "endpoint" not in apps[kind]


def test_global_configuration_keys_appear_in_no_application():
    spec = load_yaml(samples.good_connector_files()["connect.yaml"])
    inherited = spec["inheritAs"]["configuration"]
    global_keys = [e["key"] for part in inherited.values() for e in part]
    application_keys = [
        entry["key"]
        for app in spec["deployAs"]
        for part in app.get("configuration", {}).values()
        for entry in part
    ]

    assert inherited["standardConfiguration"] and inherited["securedConfiguration"]
    assert spec["inheritAs"]["apiClient"]["scopes"] == ["view_orders", "manage_orders"]
    assert not set(global_keys) & set(application_keys)
    assert all(re.fullmatch(r"[A-Za-z0-9_]{2,256}", key) for key in global_keys + application_keys)


def test_the_four_application_connector_has_a_service_an_event_a_job_and_assets():
    files = samples.four_application_connector_files()
    spec = load_yaml(files["connect.yaml"])

    assert [app["applicationType"] for app in spec["deployAs"]] == [
        "service",
        "event",
        "job",
        "assets",
    ]
    assert {name.split("/")[0] for name in files if "/" in name} == {
        "service",
        "event",
        "job",
        "assets",
    }


# --- broken variants ---------------------------------------------------------------------


def test_the_no_specification_variant_has_everything_but_connect_yaml():
    good = samples.good_connector_files()
    broken = samples.no_specification_files()

    assert "connect.yaml" not in broken
    assert set(good) - set(broken) == {"connect.yaml"}


def test_the_missing_folder_variant_lists_an_application_that_has_no_folder():
    broken = samples.missing_application_folder_files()
    listed = [app["name"] for app in load_yaml(broken["connect.yaml"])["deployAs"]]

    assert "job" in listed
    assert not [name for name in broken if name.startswith("job/")]
    assert "service/package.json" in broken


def test_the_invalid_variant_uses_the_reserved_key_port():
    spec = load_yaml(samples.invalid_specification_files()["connect.yaml"])
    service = spec["deployAs"][0]

    assert service["configuration"]["standardConfiguration"][0]["key"] == "PORT"


def test_merge_removes_files_and_folders_and_applies_overrides():
    base = {"a.txt": "a", "app/x.js": "x", "app/y/z.js": "z", "application.txt": "kept"}

    merged = samples.merge(base, {"a.txt": "changed", "new.txt": b"\0"}, remove=["app/"])

    assert merged == {"a.txt": "changed", "application.txt": "kept", "new.txt": b"\0"}
    assert base["a.txt"] == "a"


def test_replace_in_file_refuses_a_replacement_that_changes_nothing():
    files = samples.good_connector_files()

    with pytest.raises(ValueError, match="is not in connect.yaml"):
        samples.replace_in_file(files, "connect.yaml", "- key: NOT_THERE", "- key: PORT")
