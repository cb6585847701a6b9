from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectors.checks.base import Application, CheckContext
from connectors.checks.secrets import MAX_FILE_BYTES, SecretCheck, is_placeholder

REAL_LOCKFILES = Path(__file__).parent / "lockfiles"

# Made-up credentials with the shapes of real ones; none of them was ever issued. They are
# assembled from pieces so that scanners reading this file do not take them for real ones.
CT_SECRET = "Zr4Tq9Lm2Xv7Bn5K" + "p8Wd3Hs6Jf1Gc0Qa"
CT_SECRET_2 = "Ab3Cd4Ef5Gh6Ij7K" + "l8Mn9Op0Qr1St2Uv"
AWS_KEY = "AKIA" + "Z3X5KQ7PLM2NB4VW"
GITHUB_TOKEN = "ghp_" + "R8fK2mQ9vX4tL7wZ1bN6cJ3hD5sG0yP2aE8u"
KEY_HEADER = "RSA " + "PRIVATE KEY"
PRIVATE_KEY = (
    f"-----BEGIN {KEY_HEADER}-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    f"-----END {KEY_HEADER}-----\n"
)
HIGH_ENTROPY = "Q2hhbmdlIHRoaXMgdG8gYSByZWFsIHRva2VuIHBsZWFzZQ"
REGISTRY_PASSWORD = "Xk3Pq9Lz" + "7Rt2Vw5Yb8Nc"
ALL_SECRETS = (CT_SECRET, CT_SECRET_2, AWS_KEY, GITHUB_TOKEN, HIGH_ENTROPY, "MIIEowIBAAKCAQEA")


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _run(root: Path, *names: str):
    applications = [Application(name=n, type="service", path=root / n) for n in names]
    return SecretCheck().run(CheckContext(root=root, applications=applications))


def _located(outcome) -> list[tuple[str | None, str | None, int | None]]:
    return [(f.application, f.file, f.line) for f in outcome.findings]


def test_commercetools_client_secret_fails_the_check_without_showing_it(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/client.js": (
                "const { ClientBuilder } = require('@commercetools/ts-client');\n"
                "const credentials = {\n"
                "  clientId: 'x8GzK2pQ7rT1vW4yB6nM3sD9',\n"
                f"  clientSecret: '{CT_SECRET}',\n"
                "};\n"
                "const formatted = {\n"
                "  clientSecret:\n"
                f"    '{CT_SECRET_2}',\n"
                "};\n"
                "module.exports = { credentials, formatted };\n"
            ),
            "service/.env": f"CTP_PROJECT_KEY=my-project\nCTP_CLIENT_SECRET={CT_SECRET}\n",
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    assert _located(outcome) == [
        ("service", "service/.env", 2),
        ("service", "service/src/client.js", 4),
        ("service", "service/src/client.js", 8),
    ]
    assert outcome.findings[1].message.startswith(
        "service: src/client.js:4: possible secret committed (commercetools API client secret)."
    )
    assert all(f.type == "Error" for f in outcome.findings)
    for finding in outcome.findings:
        assert CT_SECRET not in finding.message
        assert CT_SECRET_2 not in finding.message
    assert CT_SECRET not in outcome.summary


def test_standard_detectors_find_keys_tokens_and_random_configuration_values(tmp_path):
    _write(
        tmp_path,
        {
            "deploy/id_rsa": PRIVATE_KEY,
            "job/src/upload.ts": f'const accessKeyId = "{AWS_KEY}";\nexport default accessKeyId;\n',
            "job/config/settings.json": f'{{\n  "name": "job",\n  "apiKey": "{HIGH_ENTROPY}"\n}}\n',
            "job/scripts/release.sh": f"#!/bin/sh\nexport GITHUB_TOKEN={GITHUB_TOKEN}\n",
        },
    )

    outcome = _run(tmp_path, "job")

    assert outcome.status == "failed"
    assert _located(outcome) == [
        (None, "deploy/id_rsa", 1),
        ("job", "job/config/settings.json", 3),
        ("job", "job/scripts/release.sh", 2),
        ("job", "job/src/upload.ts", 1),
    ]
    messages = [f.message for f in outcome.findings]
    assert messages[0].startswith("deploy/id_rsa:1: possible secret committed (Private Key).")
    assert "(AWS Access Key)" in messages[3]
    assert "GitHub Token" in messages[2]
    for message in messages:
        for secret in ALL_SECRETS:
            assert secret not in message


def test_real_lockfiles_integrity_hashes_are_not_secrets(tmp_path):
    shutil.copytree(REAL_LOCKFILES, tmp_path / "service")

    outcome = _run(tmp_path, "service")

    assert outcome.findings == []
    assert outcome.status == "succeeded"
    assert outcome.summary.startswith("Scanned 16 files: no secrets found.")


def test_registry_credentials_inside_a_lockfile_are_still_found(tmp_path):
    lockfile = (REAL_LOCKFILES / "yarn-classic" / "yarn.lock").read_text()
    leaked = lockfile.replace(
        "https://registry.npmjs.org/lodash/",
        f"https://deploy:{REGISTRY_PASSWORD}@npm.example.com/lodash/",
        1,
    )
    _write(tmp_path, {"service/yarn.lock": leaked})

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    (finding,) = outcome.findings
    assert finding.file == "service/yarn.lock"
    assert "Basic Auth Credentials" in finding.message
    assert REGISTRY_PASSWORD not in finding.message


def test_placeholders_source_code_hashes_and_allowlisted_lines_pass(tmp_path):
    _write(
        tmp_path,
        {
            "service/.env.example": (
                "CTP_CLIENT_SECRET=your-client-secret-goes-here-abcd\n"
                "CTP_CLIENT_ID=<client id>\n"
                "API_TOKEN=${API_TOKEN}\n"
            ),
            "service/src/config.js": (
                "module.exports = {\n"
                "  clientSecret: process.env.CTP_CLIENT_SECRET,\n"
                # An identifier in code looks random to an entropy detector, but code is not
                # scanned for entropy.
                "  checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',\n"
                f"  fixture: '{CT_SECRET}', // pragma: allowlist secret\n"
                "};\n"
            ),
            "service/README.md": "Set CTP_CLIENT_SECRET to the secret of your API client.\n",
            "service/node_modules/left-pad/package.json": (
                '{\n  "name": "left-pad",\n  "version": "1.3.0",\n'
                '  "gitHead": "5f8e3c2b9a7d6e4f1c0b8a9d7e6f5c4b3a2d1e0f",\n'
                '  "_integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ9d3f'
                'KIR4Jqp0jkeaPjKl8/pmqcaLHXljH8QlsaDy0uMsuyQ=="\n}\n'
            ),
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.findings == []
    assert outcome.status == "succeeded"


def test_long_identifiers_and_test_data_are_not_mistaken_for_secrets(tmp_path):
    _write(
        tmp_path,
        {
            # "laughs_..." contains what GitHub's pattern reads as a "ghs_" token.
            "service/src/limits.js": (
                "function laughs_alias_bomb_is_refused_without_expanding_it() {}\n"
                "module.exports = { laughs_alias_bomb_is_refused_without_expanding_it };\n"
            ),
            "service/test/fixtures/order.json": f'{{\n  "cartToken": "{HIGH_ENTROPY}"\n}}\n',
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.findings == []


def test_binary_huge_and_git_files_are_skipped(tmp_path):
    _write(tmp_path, {".git/config": f"[credential]\n  token = {GITHUB_TOKEN}\n"})
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0" + AWS_KEY.encode())
    (tmp_path / "service" / "blob.dat").write_bytes(b"\0\1\2" + AWS_KEY.encode())
    huge = (tmp_path / "service" / "dump.sql").open("w")
    huge.write(f"-- {AWS_KEY}\n")
    huge.write("x" * (MAX_FILE_BYTES + 1))
    huge.close()

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    assert outcome.findings == []
    assert "1 file(s) over 2 MiB not scanned: service/dump.sql." in outcome.summary


def test_symbolic_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    _write(outside, {"key.pem": PRIVATE_KEY})
    repository = tmp_path / "repository"
    (repository / "service").mkdir(parents=True)
    (repository / "service" / "key.pem").symlink_to(outside / "key.pem")

    outcome = _run(repository, "service")

    assert outcome.findings == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [("your-api-key-here", True), ("AKIAIOSFODNN7EXAMPLE", True), (CT_SECRET, False)],
)
def test_placeholder_filter_recognises_values_meant_to_be_replaced(value, expected):
    assert is_placeholder(value) is expected


def test_check_has_the_expected_name():
    assert SecretCheck.name == "Secret scanning"
