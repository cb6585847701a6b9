from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from connectors.checks.base import Application, CheckContext
from connectors.checks.code import RULES_DIR, CodeCheck, SemgrepReport, find_semgrep, run_semgrep

SAMPLES = Path(__file__).parent / "semgrep_samples"
SEMGREP = find_semgrep()
needs_semgrep = pytest.mark.skipif(SEMGREP is None, reason="semgrep is not installed")
ANNOTATION = re.compile(r"(?:#|//|\"//\w*\":\s*\")\s*(ruleid|ok):\s*([\w-]+)")


def _rule_ids() -> list[str]:
    ids = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        ids.extend(rule["id"] for rule in YAML(typ="safe").load(path)["rules"])
    return ids


def _annotations() -> dict[str, dict[str, set[tuple[str, int]]]]:
    """For each rule, the sample lines it must report ("ruleid") and must not ("ok").

    As in ``semgrep --test``: an annotation applies to the next line that is not itself one.
    """
    found: dict[str, dict[str, set[tuple[str, int]]]] = {}
    for path in sorted(p for p in SAMPLES.rglob("*") if p.is_file()):
        relative = path.relative_to(SAMPLES).as_posix()
        pending: list[tuple[str, str]] = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = ANNOTATION.search(line)
            if match:
                pending.append((match.group(1), match.group(2)))
                continue
            for kind, rule_id in pending:
                found.setdefault(rule_id, {"ruleid": set(), "ok": set()})[kind].add(
                    (relative, number)
                )
            pending = []
    return found


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> SemgrepReport:
    # A copy outside this repository: its "tests" folder would be excluded as test code.
    root = tmp_path_factory.mktemp("samples")
    shutil.copytree(SAMPLES, root, dirs_exist_ok=True)
    assert SEMGREP is not None
    return run_semgrep(["."], cwd=root, executable=SEMGREP)


def test_every_rule_has_a_positive_and_a_negative_sample():
    annotations = _annotations()

    for rule_id in _rule_ids():
        assert annotations.get(rule_id, {}).get("ruleid"), f"{rule_id} has no ruleid sample"
        assert annotations.get(rule_id, {}).get("ok"), f"{rule_id} has no ok sample"
    assert set(annotations) <= set(_rule_ids())


@needs_semgrep
@pytest.mark.parametrize("rule_id", _rule_ids())
def test_rule_reports_exactly_its_positive_samples(sample_report, rule_id):
    expected = _annotations()[rule_id]
    reported = {
        (f.path.removeprefix("./"), f.line) for f in sample_report.findings if f.rule_id == rule_id
    }

    assert reported == expected["ruleid"]
    assert not reported & expected["ok"]


@needs_semgrep
def test_rule_samples_parse_cleanly(sample_report):
    assert sample_report.unparsed == []


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _context(root: Path, *names: str) -> CheckContext:
    return CheckContext(
        root=root,
        applications=[Application(name=n, type="service", path=root / n) for n in names],
    )


@needs_semgrep
def test_code_check_fails_on_errors_and_names_application_file_and_line(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/db.js": (
                "async function find(db, id) {\n"
                '  return db.query("SELECT * FROM users WHERE id = " + id);\n'
                "}\nmodule.exports = { find };\n"
            ),
            "service/src/hash.js": (
                'const crypto = require("crypto");\n'
                'exports.etag = (b) => crypto.createHash("md5").update(b).digest("hex");\n'
            ),
            "job/src/Main.java": (
                "class Main {\n"
                "  void run(String f) throws Exception {\n"
                '    Runtime.getRuntime().exec("convert " + f);\n'
                "  }\n}\n"
            ),
        },
    )

    outcome = CodeCheck().run(_context(tmp_path, "service", "job"))

    assert outcome.status == "failed"
    summary = [(f.type, f.application, f.file, f.line) for f in outcome.findings]
    assert summary == [
        ("Error", "job", "job/src/Main.java", 3),
        ("Error", "service", "service/src/db.js", 2),
        ("Warning", "service", "service/src/hash.js", 2),
    ]
    assert outcome.findings[1].message.startswith(
        "service: src/db.js:2: SQL query built by string concatenation"
    )
    assert outcome.findings[1].message.endswith("[js-sql-injection]")
    assert outcome.findings[0].message.startswith("job: src/Main.java:3: A command is built")
    assert "2 error(s), 1 warning(s)" in outcome.summary


@needs_semgrep
def test_warnings_alone_do_not_fail_the_check(tmp_path):
    _write(tmp_path, {"service/src/index.ts": 'setInterval("poll()", 1000);\n'})

    outcome = CodeCheck().run(_context(tmp_path, "service"))

    assert outcome.status == "succeeded"
    assert [(f.type, f.file, f.line) for f in outcome.findings] == [
        ("Warning", "service/src/index.ts", 1)
    ]


@needs_semgrep
def test_clean_code_succeeds_without_findings(tmp_path):
    _write(
        tmp_path,
        {
            "service/src/index.js": (
                "const express = require('express');\n"
                "const app = express();\n"
                "app.get('/health', (req, res) => res.send('ok'));\n"
                "app.listen(8080);\n"
            )
        },
    )

    outcome = CodeCheck().run(_context(tmp_path, "service"))

    assert outcome.status == "succeeded"
    assert outcome.findings == []


@needs_semgrep
def test_repository_ignore_files_cannot_hide_code_but_tests_and_dependencies_are_skipped(tmp_path):
    vulnerable = (
        'const https = require("https");\nnew https.Agent({ rejectUnauthorized: false });\n'
    )
    _write(
        tmp_path,
        {
            ".semgrepignore": "service/\n",
            "service/.semgrepignore": "src/\n",
            "service/.gitignore": "src/\n",
            "service/src/client.js": vulnerable,
            "service/tests/client.test.js": vulnerable,
            "service/node_modules/lib/index.js": vulnerable,
        },
    )

    outcome = CodeCheck().run(_context(tmp_path, "service"))

    assert [f.file for f in outcome.findings] == ["service/src/client.js"]
    assert outcome.status == "failed"


@needs_semgrep
def test_application_named_like_an_excluded_folder_is_still_analysed(tmp_path):
    _write(tmp_path, {"tests/src/run.js": "eval(input);\n", "tests/test/run.test.js": "eval(x);\n"})

    outcome = CodeCheck().run(_context(tmp_path, "tests"))

    assert [(f.application, f.file, f.line) for f in outcome.findings] == [
        ("tests", "tests/src/run.js", 1)
    ]


@needs_semgrep
def test_unparsable_file_is_reported_as_information(tmp_path):
    _write(tmp_path, {"service/src/broken.js": "function (\n"})

    outcome = CodeCheck().run(_context(tmp_path, "service"))

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Information", "service/src/broken.js", 1)
    assert finding.message == (
        "service: src/broken.js:1: could not be fully parsed: parts of it were not analysed."
    )


@needs_semgrep
def test_a_rule_semgrep_cannot_load_fails_the_check_instead_of_being_dropped(tmp_path):
    rules = tmp_path / "rules"
    _write(
        rules,
        {
            "broken.yaml": (
                "rules:\n  - id: broken\n    languages: [javascript]\n    severity: ERROR\n"
                "    message: never loads\n    pattern: 'foo(((('\n"
            )
        },
    )
    _write(tmp_path, {"service/src/index.js": "eval(x);\n"})

    outcome = CodeCheck(rules=rules).run(_context(tmp_path, "service"))

    assert outcome.status == "failed"
    assert outcome.summary.startswith("Semgrep rejected a rule: Rule parse error in rule broken")


@needs_semgrep
def test_semgrep_running_past_its_timeout_fails_the_check(tmp_path):
    _write(tmp_path, {"service/src/index.js": "eval(x);\n"})
    context = _context(tmp_path, "service")
    context.options["semgrep_timeout_seconds"] = 0.01

    outcome = CodeCheck().run(context)

    assert outcome.status == "failed"
    assert outcome.summary == "Semgrep did not finish within 0.01 s"
    assert outcome.findings[0].message == (
        "Code analysis could not run: Semgrep did not finish within 0.01 s."
    )


def test_missing_semgrep_skips_the_check(tmp_path):
    _write(tmp_path, {"service/src/index.js": "eval(x);\n"})

    outcome = CodeCheck(executable=str(tmp_path / "no-semgrep")).run(_context(tmp_path, "service"))

    assert outcome.status == "skipped"
    assert "Semgrep is not installed" in outcome.summary


def test_no_application_folder_skips_the_check(tmp_path):
    outcome = CodeCheck().run(_context(tmp_path, "missing"))

    assert outcome.status == "skipped"


def test_check_has_the_expected_name():
    assert CodeCheck.name == "Code analysis"
