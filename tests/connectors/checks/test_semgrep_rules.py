"""Semgrep's own rule tests for the code analysis rules, run as part of the test suite.

Each rule file in ``connectors/checks/semgrep/`` has its rule tests in ``semgrep_samples/``,
in files named like it (``javascript.yaml``: ``javascript.js`` and ``javascript.ts``). A
``// ruleid: <id>`` comment marks the next line as one the rule must report, ``// ok: <id>``
one it must not; ``semgrep --test`` fails a rule that misses a marked line or reports an
unmarked one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from connectors.checks.code import RULES_DIR, CodeCheck, find_semgrep, rule_files, run_semgrep
from tests.connectors.checks.code_samples import context_for, write

SAMPLES = Path(__file__).parent / "semgrep_samples"
SEMGREP = find_semgrep()
needs_semgrep = pytest.mark.skipif(SEMGREP is None, reason="semgrep is not installed")
# As semgrep --test reads them: the comment applies to the next line; ids separated by commas.
ALERT_RULE = (
    "rules:\n  - id: no-alert\n    languages: [javascript]\n    severity: ERROR\n"
    "    message: alert\n    pattern: alert(...)\n"
)
ANNOTATION = re.compile(r"(?:#|//)\s*(ruleid|ok):\s*([\w\-]+(?:\s*,\s*[\w\-]+)*)")


def semgrep_rule_test_failures(rules: Path, samples: Path) -> list[str]:
    """What ``semgrep --test`` found wrong with ``rules`` against ``samples``; empty if all pass."""
    assert SEMGREP is not None
    completed = subprocess.run(
        [
            SEMGREP,
            "scan",
            "--test",
            "--json",
            "--metrics=off",
            "--disable-version-check",
            "--config",
            str(rules),
            str(samples),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        output = json.loads(completed.stdout)
    except ValueError:
        # semgrep --test stops without a report on an annotation naming a rule that does not
        # report in that file, among others.
        problem = [line for line in completed.stderr.splitlines() if line.strip()][-3:]
        return [f"semgrep --test exited with code {completed.returncode}: {' | '.join(problem)}"]
    failures = [f"{path}: no rule tests found" for path in output.get("config_missing_tests", ())]
    failures += [
        f"{problem['filename']}: {problem['error']}"
        for problem in output.get("config_with_errors", ())
    ]
    for results in output.get("results", {}).values():
        for rule_id, check in sorted(results["checks"].items()):
            failures += [f"{rule_id}: {error}" for error in check.get("errors") or ()]
            for path, lines in sorted(check["matches"].items()):
                expected = set(lines["expected_lines"])
                reported = set(lines["reported_lines"])
                if expected != reported:
                    missed, unmarked = sorted(expected - reported), sorted(reported - expected)
                    failures.append(
                        f"{rule_id} in {Path(path).name}: missed lines {missed},"
                        f" reported lines not marked {unmarked}"
                    )
    if completed.returncode != 0 and not failures:
        failures.append(f"semgrep --test exited with code {completed.returncode}")
    return failures


def _rule_ids(rules: Path = RULES_DIR) -> list[str]:
    return [
        rule["id"] for path in rule_files(rules) for rule in YAML(typ="safe").load(path)["rules"]
    ]


def _annotated() -> dict[str, set[str]]:
    """For each rule, the kinds of annotation ("ruleid", "ok") the samples give it."""
    found: dict[str, set[str]] = {}
    for path in sorted(p for p in SAMPLES.iterdir() if p.is_file()):
        for match in ANNOTATION.finditer(path.read_text()):
            for rule_id in match.group(2).split(","):
                found.setdefault(rule_id.strip(), set()).add(match.group(1))
    return found


@needs_semgrep
def test_every_rule_passes_its_semgrep_rule_tests():
    failures = semgrep_rule_test_failures(RULES_DIR, SAMPLES)

    assert failures == []


@needs_semgrep
def test_rule_test_runner_reports_missed_and_unmarked_lines(tmp_path):
    rules, samples = tmp_path / "rules", tmp_path / "samples"
    write(rules, {"sample.yaml": ALERT_RULE})
    write(
        samples,
        {
            "sample.js": (
                "// ruleid: no-alert\nalert(1);\n// ruleid: no-alert\nconsole.log(2);\n"
                "// ok: no-alert\nalert(3);\n"
            )
        },
    )

    failures = semgrep_rule_test_failures(rules, samples)

    assert failures == ["no-alert in sample.js: missed lines [4], reported lines not marked [6]"]


@needs_semgrep
def test_rule_test_runner_reports_an_annotation_for_a_rule_that_never_reports(tmp_path):
    rules, samples = tmp_path / "rules", tmp_path / "samples"
    write(rules, {"sample.yaml": ALERT_RULE})
    write(samples, {"sample.js": "// ruleid: no-alert\nalert(1);\n// ruleid: no-such-rule\nx();\n"})

    (failure,) = semgrep_rule_test_failures(rules, samples)

    assert failure.startswith("semgrep --test exited with code 2")


def test_every_rule_has_a_positive_and_a_negative_rule_test():
    annotated = _annotated()

    for rule_id in _rule_ids():
        assert annotated.get(rule_id) == {"ruleid", "ok"}, rule_id
    assert set(annotated) <= set(_rule_ids())


def test_rule_test_files_are_never_loaded_as_rules(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, rules / sample.name)

    assert [p.name for p in rule_files(rules)] == [p.name for p in rule_files(RULES_DIR)]
    assert "configuration.test.yaml" not in [p.name for p in rule_files(rules)]


@needs_semgrep
def test_rules_load_and_their_samples_parse_cleanly(tmp_path):
    # A copy outside this repository, as the check sees a connector's checkout.
    shutil.copytree(SAMPLES, tmp_path / "samples")
    assert SEMGREP is not None

    report = run_semgrep(["samples"], cwd=tmp_path, executable=SEMGREP)

    assert report.unparsed == []
    assert {f.rule_id for f in report.findings} == set(_rule_ids())


@needs_semgrep
def test_code_check_with_rule_tests_beside_the_rules_still_loads_only_rules(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, rules / sample.name)
    write(tmp_path / "repo", {"service/src/index.js": "eval(request.body.code);\n"})

    outcome = CodeCheck(rules=rules).run(context_for(tmp_path / "repo", "service"))

    assert outcome.status == "failed"
    assert [f.message.rsplit("[", 1)[-1] for f in outcome.findings] == [
        "js-code-injection-request-data]"
    ]
