from __future__ import annotations

import base64
import json
import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.checks.base import Application, CheckContext
from connectors.checks.secrets import (
    DEFAULT_MAX_FILE_BYTES,
    LINE_SCAN_CHARS,
    SecretCheck,
    is_dummy_value,
    jwt_expiry,
)

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
CT_LINE = f"const clientSecret = '{CT_SECRET}';\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _run(root: Path, *names: str, types: dict[str, str] | None = None):
    applications = [
        Application(name=n, type=(types or {}).get(n, "service"), path=root / n) for n in names
    ]
    return SecretCheck().run(CheckContext(root=root, applications=applications))


def _located(outcome) -> list[tuple[str, str | None, str | None, int | None]]:
    return [(f.type, f.application, f.file, f.line) for f in outcome.findings]


def _shown(outcome) -> str:
    return "\n".join([outcome.summary, *(f.message for f in outcome.findings)])


def _segment(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(claims: dict) -> str:
    header = _segment({"alg": "HS256", "typ": "JWT"})
    signature = _segment(b"\x8f\x12\xa9\x03\x7c\xee\x41\x90\x55\xd2\x6b\x18\x3a\xf0\x07\xbd")
    return f"{header}.{_segment(claims)}.{signature}"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


# --- findings, and the secret never shown ----------------------------------------------------


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
        ("Error", "service", "service/.env", 2),
        ("Error", "service", "service/src/client.js", 4),
        ("Error", "service", "service/src/client.js", 8),
    ]
    assert outcome.findings[1].message.startswith(
        "service: src/client.js:4: possible secret committed (commercetools API client secret)."
    )
    assert "securedConfiguration" in outcome.findings[1].message
    assert outcome.summary.startswith("Scanned 2 files: 3 possible secret(s) in deployed source.")
    assert CT_SECRET not in _shown(outcome)
    assert CT_SECRET_2 not in _shown(outcome)


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
        ("Error", "job", "job/config/settings.json", 3),
        ("Error", "job", "job/scripts/release.sh", 2),
        ("Error", "job", "job/src/upload.ts", 1),
        # A folder no application deploys.
        ("Warning", None, "deploy/id_rsa", 1),
    ]
    messages = [f.message for f in outcome.findings]
    assert "GitHub Token" in messages[1]
    assert "(AWS Access Key)" in messages[2]
    assert messages[3].startswith(
        "deploy/id_rsa:1: possible secret (Private Key) in a folder no application deploys:"
    )
    for secret in ALL_SECRETS:
        assert secret not in _shown(outcome)


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


def test_long_identifiers_and_test_data_are_not_mistaken_for_secrets(tmp_path):
    _write(
        tmp_path,
        {
            # "laughs_..." contains what GitHub's pattern reads as a "ghs_" token.
            "service/src/limits.js": (
                "function laughs_alias_bomb_is_refused_without_expanding_it() {}\n"
                "module.exports = { laughs_alias_bomb_is_refused_without_expanding_it };\n"
            ),
            # Random-looking values in test data are ids, not credentials.
            "service/test/fixtures/order.json": f'{{\n  "cartToken": "{HIGH_ENTROPY}"\n}}\n',
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.findings == []


def test_symbolic_links_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    _write(outside, {"key.pem": PRIVATE_KEY})
    repository = tmp_path / "repository"
    (repository / "service").mkdir(parents=True)
    (repository / "service" / "key.pem").symlink_to(outside / "key.pem")

    outcome = _run(repository, "service")

    assert outcome.findings == []


def test_secrets_do_not_reach_the_logs_even_when_detect_secrets_logs_everything(tmp_path, caplog):
    # detect-secrets logs each value one of its filters drops ("Skipping <value> due to ...").
    caplog.set_level(logging.DEBUG, logger="detect-secrets")
    caplog.set_level(logging.DEBUG)
    uuid = "3f2b8c1e-9d4a-4e7b-8c2f-1a6d5e9b0c3d"
    _write(
        tmp_path,
        {
            "service/config/settings.json": (
                f'{{\n  "apiKey": "{HIGH_ENTROPY}",\n  "sessionSecret": "{uuid}"\n}}\n'
            ),
            "service/src/client.js": CT_LINE,
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    for value in (HIGH_ENTROPY, CT_SECRET, uuid):
        assert value not in caplog.text


# --- where a secret is ------------------------------------------------------------------------


def test_only_a_secret_in_deployed_source_fails_the_run(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/client.js": CT_LINE,
            "service/src/client.test.ts": CT_LINE,
            "service/test/fixtures/setup.js": CT_LINE,
            "service/.env.local": f"CTP_CLIENT_SECRET={CT_SECRET}\n",
            "service/.env.jest": f"CTP_CLIENT_SECRET={CT_SECRET}\n",
            "service/README.md": f"Example:\n\n    CTP_CLIENT_SECRET={CT_SECRET}\n",
            "service/node_modules/ct-helper/index.js": CT_LINE,
            "tools/seed.js": f"// seeds a project\n{CT_LINE}",
            "README.md": f"# Connector\n\n    CTP_CLIENT_SECRET={CT_SECRET}\n",
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    assert _located(outcome) == [
        ("Error", "service", "service/src/client.js", 1),
        ("Warning", None, "README.md", 3),
        ("Warning", "service", "service/.env.jest", 1),
        ("Warning", "service", "service/.env.local", 1),
        ("Warning", "service", "service/README.md", 3),
        ("Warning", "service", "service/node_modules/ct-helper/index.js", 1),
        ("Warning", "service", "service/src/client.test.ts", 1),
        ("Warning", "service", "service/test/fixtures/setup.js", 1),
        ("Warning", None, "tools/seed.js", 2),
    ]
    messages = {f.file: f.message for f in outcome.findings}
    assert messages["service/.env.local"] == (
        "service: .env.local:1: possible secret (commercetools API client secret) in an "
        "example environment file or documentation: it is not deployed, so the run does not "
        "fail, but anyone who can read the repository can use it. If it is a real credential, "
        "revoke it; if it is made up, mark its line with a 'pragma: allowlist secret' comment."
    )
    assert messages["README.md"].startswith(
        "README.md:3: possible secret (commercetools API client secret) in an example "
        "environment file or documentation: it is not deployed"
    )
    assert (
        "service: .env.jest:1: possible secret (commercetools API client secret) in a test"
        in (messages["service/.env.jest"])
    )
    assert (
        "README.md:3: possible secret (commercetools API client secret) in an example"
        in (messages["service/README.md"])
    )
    assert (
        "in installed packages or build output"
        in (messages["service/node_modules/ct-helper/index.js"])
    )
    assert messages["service/src/client.test.ts"].startswith(
        "service: src/client.test.ts:1: possible secret (commercetools API client secret) in a "
        "test or its data:"
    )
    assert "in a test or its data" in messages["service/test/fixtures/setup.js"]
    assert messages["tools/seed.js"].startswith(
        "tools/seed.js:2: possible secret (commercetools API client secret) in a folder no "
        "application deploys:"
    )
    assert outcome.summary.startswith(
        "Scanned 9 files: 1 possible secret(s) in deployed source, "
        "8 outside deployed source or expired (warnings)."
    )


def test_secrets_outside_deployed_source_are_warnings_that_do_not_fail(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/index.js": "module.exports = {};\n",
            "service/src/auth.spec.ts": CT_LINE,
            "scripts/.env.example": f"CTP_CLIENT_SECRET={CT_SECRET}\n",
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    assert [f.type for f in outcome.findings] == ["Warning", "Warning"]


def test_a_secret_in_a_merchant_center_application_is_an_error_shipped_to_browsers(tmp_path):
    _write(
        tmp_path,
        {
            "mc-app/src/constants.js": CT_LINE,
            "mc-app/src/constants.spec.js": CT_LINE,
            # Labels and sentences under names with "secret" in them are not secrets.
            "mc-app/src/i18n/data/en.json": (
                "{\n"
                '  "Settings.clientSecretTitle": "Client Secret",\n'
                '  "Settings.clientSecretDescription": "Enter the API client\'s secret: it '
                'is kept encrypted."\n'
                "}\n"
            ),
        },
    )

    outcome = _run(tmp_path, "mc-app", types={"mc-app": "merchant-center-custom-application"})

    assert outcome.status == "failed"
    assert _located(outcome) == [
        ("Error", "mc-app", "mc-app/src/constants.js", 1),
        ("Warning", "mc-app", "mc-app/src/constants.spec.js", 1),
    ]
    assert "sent to every user's browser" in outcome.findings[0].message


# --- values that are not secrets ---------------------------------------------------------------


def test_documented_dummy_values_in_environment_files_are_not_reported(tmp_path):
    _write(
        tmp_path,
        {
            "service/.env.local": (
                "FFT_API_URL=https://localhost:8080\n"
                "FFT_API_PASSWORD=1234567890abcdef\n"
                "FFT_API_TOKEN=abcdef123456\n"
            ),
            "service/.env": "API_PASSWORD=aaaaaaaaaaaaaaaa\nCTP_CLIENT_SECRET=changeme\n",
            "service/.env.example": (
                "CTP_CLIENT_SECRET=your-client-secret-goes-here-abcd\n"
                "CTP_CLIENT_ID=<client id>\n"
                "API_TOKEN=${API_TOKEN}\n"
                "SIGNING_KEY=xxxxxxxxxxxxxxxxxxxxxxxx\n"
            ),
            "service/config/aws.json": (
                '{\n  "accessKeyId": "AKIAIOSFODNN7EXAMPLE",\n'
                '  "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n}\n'
            ),
            "service/src/config.js": (
                "module.exports = {\n"
                "  clientSecret: process.env.CTP_CLIENT_SECRET,\n"
                # An identifier in code looks random to an entropy detector, but code is not
                # scanned for entropy.
                "  checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',\n"
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
    assert "no secrets found." in outcome.summary
    assert "placeholder or example value(s) not reported" in outcome.summary


def test_a_real_key_beside_dummy_values_is_still_found(tmp_path):
    _write(
        tmp_path,
        {
            "service/.env": (
                "FFT_API_PASSWORD=1234567890abcdef\n"
                f"PAYMENT_API_KEY={HIGH_ENTROPY}\n"
                "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
                f"AWS_SECRET_KEY_ID={AWS_KEY}\n"
            )
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    assert _located(outcome) == [
        ("Error", "service", "service/.env", 2),
        ("Error", "service", "service/.env", 4),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234567890abcdef", True),
        ("abcdef123456", True),
        ("qwertyuiop123456", True),
        ("9876543210zyxwvu", True),
        ("aaaaaaaaaaaaaaaa", True),
        ("aaaa1111bbbb2222", True),
        ("abababababababab", True),
        ("your-api-key-here", True),
        ("changeme", True),
        ("Password123", True),
        ("xxxxxxxx-xxxx", True),
        ("<client-secret>", True),
        ("${CTP_CLIENT_SECRET}", True),
        ("{{ secret }}", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),
        (CT_SECRET, False),
        (CT_SECRET_2, False),
        ("priv_key", True),
        ("mysecretpassword", True),
        ("password2024", True),
        ("secret-1234567890-abcdefghijklmnopqrstuvwxyz", True),
        ("hunter2", False),
        (AWS_KEY, False),
        (HIGH_ENTROPY, False),
        (REGISTRY_PASSWORD, False),
        # A keyboard row inside a generated key does not make the key a dummy.
        ("AKIAZ4QWERTYUIOP7QXA", False),
    ],
)
def test_dummy_values_are_recognised_and_real_keys_kept(value, expected):
    assert is_dummy_value(value) is expected


# --- JSON Web Tokens -------------------------------------------------------------------------


def test_a_tokens_expiry_is_shown_and_an_expired_one_does_not_fail_the_run(tmp_path):
    now = datetime.now(UTC)
    expired_at = datetime(2021, 3, 4, 12, 0, tzinfo=UTC)
    expires_at = now + timedelta(days=400)
    expired = _jwt({"sub": "checkout", "exp": int(expired_at.timestamp())})
    _write(tmp_path, {"service/src/token.ts": f"export const token = '{expired}';\n"})

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Warning", "service/src/token.ts", 1)
    assert finding.message.startswith(
        "service: src/token.ts:1: expired token committed "
        "(JSON Web Token, expired on 2021-03-04). It can no longer be used"
    )

    live = _jwt({"sub": "checkout", "exp": int(expires_at.timestamp())})
    forever = _jwt({"sub": "checkout", "scope": "manage_orders"})
    _write(
        tmp_path,
        {
            "service/src/token.ts": (
                f"export const token = '{live}';\nexport const other = '{forever}';\n"
            )
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    assert [(f.type, f.line) for f in outcome.findings] == [("Error", 1), ("Error", 2)]
    assert f"(JSON Web Token, expires on {_day(expires_at)})" in outcome.findings[0].message
    assert "(JSON Web Token, no expiry)" in outcome.findings[1].message
    for token in (expired, live, forever):
        assert token.split(".")[1] not in _shown(outcome)


def test_token_fixtures_in_test_files_are_warnings_and_the_jwt_io_example_is_ignored(tmp_path):
    fixture = _jwt({"sub": "customer-1", "exp": 1700000000})
    documentation = _jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022})
    _write(
        tmp_path,
        {
            "service/src/auth.test.ts": (
                "import { verify } from './auth';\n"
                f"const token = '{fixture}';\n"
                "test('verifies', () => expect(verify(token)).toBe(false));\n"
            ),
            "service/src/docs-example.ts": f"export const sample = '{documentation}';\n",
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == (
        "Warning",
        "service/src/auth.test.ts",
        2,
    )
    assert "(JSON Web Token, expired on 2023-11-14) in a test or its data" in finding.message


def test_token_expiry_reads_the_payload_without_verifying_it():
    now = datetime(2025, 6, 1, tzinfo=UTC)

    def expiry(claims):
        found = jwt_expiry(_jwt(claims), now)
        return None if found is None else (found.words, found.expired)

    assert expiry({"exp": 1700000000}) == ("expired on 2023-11-14", True)
    assert expiry({"exp": 1900000000.5}) == ("expires on 2030-03-17", False)
    assert expiry({"iat": 1700000000}) == ("no expiry", False)
    assert expiry({"exp": "tomorrow"}) is None
    assert expiry({"exp": 10**20}) is None
    assert jwt_expiry("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", now) is None
    assert jwt_expiry("not-a-token", now) is None


# --- silenced in source ------------------------------------------------------------------------


def test_silenced_lines_are_shown_to_the_certifier_and_never_fail(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/config.js": (
                "module.exports = {\n"
                f"  clientSecret: '{CT_SECRET}', // pragma: allowlist secret\n"
                "};\n"
            ),
            "service/config/app.yaml": (
                "name: app\n"
                "# pragma: allowlist nextline secret\n"
                f"apiKey: {HIGH_ENTROPY}\n"
                f"webhookKey: {HIGH_ENTROPY}  # pragma: whitelist secret\n"
            ),
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    assert _located(outcome) == [
        ("Information", "service", "service/config/app.yaml", 3),
        ("Information", "service", "service/config/app.yaml", 4),
        ("Information", "service", "service/src/config.js", 2),
    ]
    assert outcome.findings[2].message == (
        "silenced in source: service/src/config.js:2 (commercetools API client secret)."
    )
    assert outcome.findings[0].message.startswith("silenced in source: service/config/app.yaml:3 (")
    assert "3 silenced in source" in outcome.summary
    assert CT_SECRET not in _shown(outcome)
    assert HIGH_ENTROPY not in _shown(outcome)


def test_a_pragma_silences_only_its_own_line(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/config.js": (
                f"const clientSecret = '{CT_SECRET}'; // pragma: allowlist secret\n"
                f"const clientSecret = '{CT_SECRET_2}';\n"
            )
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "failed"
    assert _located(outcome) == [
        ("Error", "service", "service/src/config.js", 2),
        ("Information", "service", "service/src/config.js", 1),
    ]


# --- bounds ------------------------------------------------------------------------------------


def test_files_over_the_size_limit_binaries_and_git_files_are_skipped(tmp_path, settings):
    settings.CONNECTORS_SECRET_MAX_FILE_BYTES = 64 * 1024
    _write(tmp_path, {".git/config": f"[credential]\n  token = {GITHUB_TOKEN}\n"})
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0" + AWS_KEY.encode())
    (tmp_path / "service" / "blob.dat").write_bytes(b"\0\1\2" + AWS_KEY.encode())
    (tmp_path / "service" / "dump.sql").write_text(f"-- {AWS_KEY}\n" + "x\n" * 40 * 1024)

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    assert [(f.type, f.message) for f in outcome.findings] == [
        ("Information", "1 file(s) over 64 KiB were not scanned: service/dump.sql.")
    ]


def test_the_default_size_limit_is_two_mebibytes_at_most():
    assert DEFAULT_MAX_FILE_BYTES <= 2 * 1024 * 1024


def test_only_the_start_of_a_very_long_line_is_scanned(tmp_path):
    padding = " " * LINE_SCAN_CHARS
    _write(
        tmp_path,
        {
            "service/src/bundle.js": (
                f"var a='{AWS_KEY}';" + "var b=1;" * LINE_SCAN_CHARS + "\n"
                f"var c=1;{padding}var d='{AWS_KEY}';\n"
            ),
        },
    )

    outcome = _run(tmp_path, "service")

    assert _located(outcome) == [
        ("Error", "service", "service/src/bundle.js", 1),
        (
            "Information",
            None,
            None,
            None,
        ),
    ]
    assert outcome.findings[1].message == (
        f"1 file(s) have lines longer than {LINE_SCAN_CHARS:,} characters (minified or embedded "
        "data); only the start of each such line was scanned: service/src/bundle.js."
    )


def test_a_large_connect_yaml_with_long_lines_is_scanned_within_the_bound(tmp_path):
    # The shape that held a worker for more than a minute: long runs of spaces inside values.
    lines = [
        "deployAs:",
        "  - name: service",
        "    applicationType: service",
        "    configuration:",
        "      standardConfiguration:",
        "        - key: PAYMENT_PROVIDER_KEY",
        f'          default: "{CT_SECRET}"',
    ]
    while sum(len(line) + 1 for line in lines) < 1_500_000:
        lines.append(f"        - key: SETTING_{len(lines)}")
        lines.append("          description: '" + " " * 20_000 + "see the README'")
    _write(tmp_path, {"connect.yaml": "\n".join(lines) + "\n", "service/src/index.js": "\n"})

    outcome = _run(tmp_path, "service")

    # Within the default budget the scan either completes or says what it left out.
    budget = [f for f in outcome.findings if "time budget" in f.message]
    if budget:
        assert budget[0].type == "Warning"
        assert "were not scanned" in budget[0].message
    else:
        # A default in connect.yaml is given to every deployment: it fails the run.
        assert outcome.status == "failed"
        assert _located(outcome) == [
            ("Error", None, "connect.yaml", 7),
            ("Information", None, None, None),
        ]
        assert outcome.findings[0].message.startswith(
            "connect.yaml:7: possible secret committed (Base64 High Entropy String)."
        )
        assert outcome.findings[1].message.endswith("was scanned: connect.yaml.")
    assert CT_SECRET not in _shown(outcome)


def test_when_the_time_budget_runs_out_the_check_says_so_and_does_not_fail(tmp_path, settings):
    settings.CONNECTORS_SECRET_SCAN_SECONDS = 0
    _write(
        tmp_path,
        {
            "docs/setup.md": "Set the variables.\n",
            "service/src/client.js": CT_LINE,
            "service/src/index.js": "module.exports = {};\n",
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert finding.type == "Warning"
    # Deployed files come first, so they are the first to be scanned when time is short.
    assert finding.message == (
        "The 0 s time budget for secret scanning ran out: 3 file(s) were not scanned "
        "(service/src/client.js, service/src/index.js, docs/setup.md). Deployed files are "
        "scanned first."
    )
    assert outcome.summary.startswith(
        "Scanned 0 of 3 files before the time ran out: no secrets found."
    )


def test_a_scan_stopped_inside_a_file_counts_that_file_as_not_scanned(tmp_path, settings):
    # Sixty thousand lines take seconds; the budget ends within the first file.
    settings.CONNECTORS_SECRET_SCAN_SECONDS = 0.05
    _write(
        tmp_path,
        {
            "service/.env": "".join(f"SETTING_{n}=value {n}\n" for n in range(60_000)),
            "service/src/index.js": "module.exports = {};\n",
        },
    )

    outcome = _run(tmp_path, "service")

    assert outcome.status == "succeeded"
    assert [(f.type, f.message) for f in outcome.findings] == [
        (
            "Warning",
            "The 0.05 s time budget for secret scanning ran out: 2 file(s) were not scanned "
            "(service/.env, service/src/index.js). Deployed files are scanned first.",
        )
    ]


def test_check_has_the_expected_name():
    assert SecretCheck.name == "Secret scanning"
