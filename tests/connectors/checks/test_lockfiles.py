from __future__ import annotations

from pathlib import Path

import pytest

from connectors.checks.lockfiles import (
    LockfileError,
    find_manifests,
    manifest_dependency_line,
    read_lockfile,
)
from tests.connectors.checks import lockfile_samples as samples

PACKAGES = {"lodash": "4.17.20", "@babel/core": "7.22.0", "minimist": "1.2.5"}


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def _versions(path: Path) -> dict[str, str]:
    return {p.name: p.version for p in read_lockfile(path)}


@pytest.mark.parametrize(
    ("file_name", "writer", "entry_text"),
    [
        ("package-lock.json", samples.package_lock_v3, '"node_modules/{name}"'),
        ("package-lock.json", samples.package_lock_v1, '"{name}": {{'),
        ("yarn.lock", samples.yarn_classic, "{name}@^{version}"),
        ("yarn.lock", samples.yarn_berry, '"{name}@npm:^{version}":'),
        ("pnpm-lock.yaml", samples.pnpm_v9, "{name}@{version}"),
        ("pnpm-lock.yaml", samples.pnpm_v6, "/{name}@{version}:"),
        ("pnpm-lock.yaml", samples.pnpm_v5, "/{name}/{version}:"),
    ],
    ids=["npm-v3", "npm-v1", "yarn-classic", "yarn-berry", "pnpm-v9", "pnpm-v6", "pnpm-v5"],
)
def test_every_lockfile_format_gives_each_package_its_version_and_line(
    tmp_path, file_name, writer, entry_text
):
    path = _write(tmp_path, file_name, writer(PACKAGES))

    found = read_lockfile(path)

    assert {p.name: p.version for p in found} == PACKAGES
    assert {p.ecosystem for p in found} == {"npm"}
    for package in found:
        expected = samples.line_of(
            path, entry_text.format(name=package.name, version=package.version)
        )
        assert package.line == expected, package


def test_package_lock_reports_nested_installs_and_dev_flags(tmp_path):
    text = samples.package_lock_v3({"lodash": "4.17.21", "webpack/node_modules/lodash": "4.17.20"})
    text = text.replace('"version": "4.17.20",', '"version": "4.17.20",\n      "dev": true,')
    path = _write(tmp_path, "package-lock.json", text)

    found = sorted(read_lockfile(path), key=lambda p: p.version)

    assert [(p.name, p.version, p.dev) for p in found] == [
        ("lodash", "4.17.20", True),
        ("lodash", "4.17.21", False),
    ]
    assert found[0].line == samples.line_of(path, '"node_modules/webpack/node_modules/lodash"')


def test_package_lock_follows_npm_aliases_to_the_real_package(tmp_path):
    text = """{
  "name": "service",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "service"},
    "node_modules/old-lodash": {
      "name": "lodash",
      "version": "4.17.20"
    },
    "node_modules/shared": {
      "resolved": "packages/shared",
      "link": true
    },
    "packages/shared": {
      "name": "shared",
      "version": "0.0.1"
    }
  }
}
"""
    path = _write(tmp_path, "package-lock.json", text)

    assert [(p.name, p.version, p.line) for p in read_lockfile(path)] == [("lodash", "4.17.20", 6)]


def test_yarn_classic_reads_scoped_quoted_and_aliased_entries(tmp_path):
    text = """# yarn lockfile v1


"@types/node@*", "@types/node@^20.1.0":
  version "20.4.2"
  resolved "https://registry.yarnpkg.com/@types/node/-/node-20.4.2.tgz#129cc9ae69f93824f92fac653eebfb4812ab4af9"
  integrity sha512-Dd0BYtWgnWJKwO1jkmTrzofjK2QXXcai0dmtzvIBhcA+RsG5h8R3xlyta0kGOZRNfL9GuRtb1knmPEhQrePCEw==
  dependencies:
    undici-types "~5.26.4"

"string-width-cjs@npm:string-width@^4.2.0":
  version "4.2.3"
  resolved "https://registry.yarnpkg.com/string-width/-/string-width-4.2.3.tgz#269c7117d27b05ad2e536830a8ec895ef9c6d010"
"""  # noqa: E501
    path = _write(tmp_path, "yarn.lock", text)

    found = [(p.name, p.version, p.line) for p in read_lockfile(path)]

    assert found == [("@types/node", "20.4.2", 4), ("string-width", "4.2.3", 11)]


def test_yarn_berry_leaves_out_workspaces_and_patches(tmp_path):
    text = """__metadata:
  version: 6
  cacheKey: 8

"resolve@npm:^1.22.1":
  version: 1.22.2
  resolution: "resolve@npm:1.22.2"
  languageName: node
  linkType: hard

"resolve@patch:resolve@npm%3A^1.22.1#~builtin<compat/resolve>":
  version: 1.22.2
  resolution: "resolve@patch:resolve@npm%3A1.22.2#~builtin<compat/resolve>::version=1.22.2"
  languageName: node
  linkType: hard

"service@workspace:.":
  version: 0.0.0-use.local
  resolution: "service@workspace:."
"""
    path = _write(tmp_path, "yarn.lock", text)

    assert [(p.name, p.version, p.line) for p in read_lockfile(path)] == [("resolve", "1.22.2", 5)]


def test_pnpm_strips_peer_suffixes_and_skips_non_registry_sources(tmp_path):
    text = """lockfileVersion: '6.0'

packages:

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
    peerDependencies:
      react: ^18.2.0

  /react@18.2.0:
    resolution: {integrity: sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==}

  github.com/user/repo/0123456789abcdef:
    resolution: {tarball: https://codeload.github.com/user/repo/tar.gz/0123456789abcdef}
    name: repo
    version: 1.0.0
"""  # noqa: E501
    path = _write(tmp_path, "pnpm-lock.yaml", text)

    found = [(p.name, p.version, p.line) for p in read_lockfile(path)]

    assert found == [("react-dom", "18.2.0", 5), ("react", "18.2.0", 10)]


def test_pom_resolves_property_versions_and_skips_unpinned_ones(tmp_path):
    text = samples.pom(
        [
            ("org.apache.logging.log4j", "log4j-core", "${log4j.version}"),
            ("com.fasterxml.jackson.core", "jackson-databind", "2.15.2"),
            ("org.slf4j", "slf4j-api", "${undefined.version}"),
            ("junit", "junit", "[4.0,5.0)"),
        ],
        properties={"log4j.version": "${log4j.base}.1", "log4j.base": "2.14"},
    )
    path = _write(tmp_path, "pom.xml", text)

    found = [(p.ecosystem, p.name, p.version, p.line) for p in read_lockfile(path)]

    first = samples.line_of(path, "<dependency>")
    assert found == [
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", first),
        ("Maven", "com.fasterxml.jackson.core:jackson-databind", "2.15.2", first + 5),
    ]


def test_pom_takes_properties_from_its_parent_on_disk(tmp_path):
    parent = samples.pom([], properties={"log4j.version": "2.14.1"})
    _write(tmp_path, "pom.xml", parent)
    child_text = samples.pom([("org.apache.logging.log4j", "log4j-core", "${log4j.version}")])
    child_text = child_text.replace(
        "<modelVersion>4.0.0</modelVersion>",
        "<modelVersion>4.0.0</modelVersion>\n  <parent><groupId>com.example.connector</groupId>"
        "<artifactId>service</artifactId><version>1.0.0</version></parent>",
    )
    child = _write(tmp_path / "module", "pom.xml", child_text)

    assert [p.version for p in read_lockfile(child, root=tmp_path)] == ["2.14.1"]
    # Without the repository as its bound, the parent folder is out of reach.
    assert read_lockfile(child, root=tmp_path / "module") == []


def test_pom_with_entity_declarations_is_refused(tmp_path):
    text = """<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY lol "lol">]>
<project><dependencies/></project>
"""
    path = _write(tmp_path, "pom.xml", text)

    with pytest.raises(LockfileError) as error:
        read_lockfile(path)
    assert error.value.line == 2


def test_broken_package_lock_names_the_line(tmp_path):
    path = _write(tmp_path, "package-lock.json", '{\n  "packages": {\n    "x": \n}\n')

    with pytest.raises(LockfileError) as error:
        read_lockfile(path)
    assert error.value.line == 4


def test_manifests_are_found_below_the_application_but_not_in_node_modules(tmp_path):
    app = tmp_path / "service"
    _write(app, "package.json", '{"dependencies": {"lodash": "^4.17.20"}}')
    _write(app, "package-lock.json", samples.package_lock_v3({"lodash": "4.17.20"}))
    _write(app / "node_modules" / "lodash", "package.json", "{}")
    _write(app / "java", "pom.xml", samples.pom([]))

    scan = find_manifests(app, tmp_path)

    assert scan.lockfiles == [app / "package-lock.json", app / "java" / "pom.xml"]
    assert scan.unlocked_manifests == []


def test_package_json_without_any_lockfile_above_it_is_unlocked(tmp_path):
    app = tmp_path / "service"
    _write(app, "package.json", '{"dependencies": {"lodash": "^4.17.20"}}')
    _write(tmp_path / "other", "package-lock.json", samples.package_lock_v3({}))

    scan = find_manifests(app, tmp_path)

    assert scan.lockfiles == []
    assert scan.unlocked_manifests == [app / "package.json"]


def test_a_workspace_lockfile_above_the_application_covers_it(tmp_path):
    _write(tmp_path, "pnpm-lock.yaml", samples.pnpm_v9({"lodash": "4.17.20"}))
    app = tmp_path / "service"
    _write(app, "package.json", '{"dependencies": {"lodash": "^4.17.20"}}')

    scan = find_manifests(app, tmp_path)

    assert scan.lockfiles == [tmp_path / "pnpm-lock.yaml"]
    assert scan.unlocked_manifests == []


def test_dependency_line_of_package_json_is_that_of_its_first_section(tmp_path):
    declared = _write(
        tmp_path / "a",
        "package.json",
        '{\n  "name": "a",\n  "dependencies": {\n    "lodash": "^4.17.20"\n  }\n}\n',
    )
    empty = _write(tmp_path / "b", "package.json", '{\n  "name": "b"\n}\n')

    assert manifest_dependency_line(declared) == 3
    assert manifest_dependency_line(empty) is None


REAL_LOCKFILES = sorted(
    p
    for p in (Path(__file__).parent / "lockfiles").rglob("*")
    if p.is_file() and p.name != "package.json"
)


@pytest.mark.parametrize("path", REAL_LOCKFILES, ids=lambda p: p.parent.name)
def test_lockfiles_written_by_npm_yarn_and_pnpm_are_read_entry_by_entry(path):
    found = read_lockfile(path)

    versions = {(p.name, p.version) for p in found}
    assert {
        ("lodash", "4.17.20"),
        ("minimist", "1.2.5"),
        ("@types/node", "20.4.2"),
        ("express", "4.17.1"),
        ("ms", "2.0.0"),  # express's own
        ("ms", "2.1.1"),  # nested under send
    } <= versions
    lines = path.read_text().splitlines()
    for package in found:
        assert package.name.rsplit("/", 1)[-1] in lines[package.line - 1], package


def test_lockfiles_of_the_same_tool_family_agree_on_every_package():
    by_format = {
        p.parent.name: {(d.name, d.version) for d in read_lockfile(p)} for p in REAL_LOCKFILES
    }

    # npm dedupes express's tree differently from yarn and pnpm, which agree with each other.
    assert by_format["npm-v1"] == by_format["npm-v2"] == by_format["npm-v3"]
    others = [by_format[f] for f in by_format if not f.startswith("npm-")]
    assert all(other == others[0] for other in others)
    assert len(by_format["npm-v3"]) == 53
    assert len(others[0]) == 55
