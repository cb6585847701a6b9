"""The code check: real Semgrep over small repositories built in tmp_path.

The rules themselves are tested by Semgrep's own rule tests (test_semgrep_rules.py); these
tests are about what the check reads, where it says a finding is, and what it makes of it.
"""

from __future__ import annotations

import json

import pytest

from connectors.checks.code import CodeCheck, find_semgrep
from tests.connectors.checks.code_samples import context_for, write

SEMGREP = find_semgrep()
needs_semgrep = pytest.mark.skipif(SEMGREP is None, reason="semgrep is not installed")

EXPRESS_EVAL = """import express from "express";

const app = express();
app.get("/run", (req, res) => {
  const result = eval(req.query.code);
  res.json({ result });
});
export default app;
"""
PG_FROM_REQUEST = """const { Pool } = require("pg");

const pool = new Pool();

async function findOrders(req, res) {
  const sql = "SELECT * FROM orders WHERE customer_id = '" + req.query.customer + "'";
  const result = await pool.query(sql);
  res.json(result.rows);
}

module.exports = { findOrders };
"""
# What connectors are made of: commercetools SDK calls with query predicates, GraphQL, logs,
# URLs, JSON. None of it is SQL or code being run.
LOOK_ALIKES = """import { ByProjectKeyRequestBuilder } from "@commercetools/platform-sdk";
import { Request, Response } from "express";

const CONTAINER = "myconnector";

export async function handle(apiRoot: ByProjectKeyRequestBuilder, req: Request, res: Response) {
  const response = await apiRoot
    .customObjects()
    .withContainer({ container: CONTAINER })
    .get({ queryArgs: { where: `key = "${req.query.key}"`, limit: 1 } })
    .execute();
  const results = response.body.results;
  const ids: string[] = req.body.ids;
  const carts = await apiRoot
    .carts()
    .get({ queryArgs: { where: [`id in (${ids.map((id) => `"${id}"`).join(",")})`] } })
    .execute();
  await apiRoot.carts().withId({ ID: req.params.id }).post({ body: req.body }).execute();
  const orders = await apiRoot
    .graphql()
    .post({ body: { query: `query { order(id: "${req.params.id}") { id } }`, variables: {} } })
    .execute();
  console.info(`select ${req.query.q} from the catalogue`);
  const response = await fetch(`${process.env.BASE_URL}/select?x=${req.query.q}`);
  const payload = JSON.parse(req.body.payload);
  res.json([results, carts, orders, await response.json(), payload]);
}
"""


def _summary(outcome) -> list[tuple[str, str | None, str | None, int | None]]:
    return [(f.type, f.application, f.file, f.line) for f in outcome.findings]


@needs_semgrep
def test_request_input_reaching_eval_sql_and_exec_fails_at_the_right_file_and_line(tmp_path):
    write(
        tmp_path,
        {
            "service/src/run.ts": EXPRESS_EVAL,
            "service/src/orders.js": PG_FROM_REQUEST,
            "service/src/hash.js": (
                'const crypto = require("crypto");\n'
                'exports.etag = (b) => crypto.createHash("md5").update(b).digest("hex");\n'
            ),
            "job/src/main/java/Export.java": (
                "import org.springframework.web.bind.annotation.RequestParam;\n"
                "class Export {\n"
                '  @GetMapping("/export")\n'
                "  String run(@RequestParam String file) throws Exception {\n"
                '    Runtime.getRuntime().exec("convert " + file);\n'
                '    return "ok";\n'
                "  }\n}\n"
            ),
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "service", "job"))

    assert outcome.status == "failed"
    assert _summary(outcome) == [
        ("Error", "job", "job/src/main/java/Export.java", 5),
        ("Warning", "service", "service/src/hash.js", 2),
        ("Error", "service", "service/src/orders.js", 7),
        ("Error", "service", "service/src/run.ts", 5),
    ]
    messages = [f.message for f in outcome.findings]
    assert messages[0].startswith("job: src/main/java/Export.java:5: Data from the HTTP request")
    assert messages[0].endswith("[java-command-injection-request-data]")
    assert messages[2].startswith("service: src/orders.js:7: Data from the HTTP request reaches")
    assert messages[2].endswith("[js-sql-injection-request-data]")
    assert messages[3].endswith("[js-code-injection-request-data]")
    assert outcome.summary == (
        "Semgrep analysed 4 files of 2 application(s): 3 error(s), 1 warning(s)."
    )


@needs_semgrep
def test_commercetools_predicates_sdk_calls_graphql_logs_and_urls_are_not_reported(tmp_path):
    write(tmp_path, {"service/src/connector/actions.ts": LOOK_ALIKES})

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    assert outcome.findings == []
    assert outcome.status == "succeeded"


@needs_semgrep
def test_sql_built_from_other_values_is_a_warning_and_does_not_fail(tmp_path):
    write(
        tmp_path,
        {
            "service/src/report.js": (
                "async function report(pool, region) {\n"
                "  return pool.query(\n"
                "    `SELECT * FROM orders WHERE region = '${region}'`\n"
                "  );\n"
                "}\n"
                "module.exports = { report };\n"
            )
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Warning", "service/src/report.js", 3)
    assert finding.message.endswith("[js-sql-string-building]")


@needs_semgrep
def test_a_request_finding_replaces_the_warning_for_the_same_line(tmp_path):
    write(
        tmp_path,
        {
            "service/src/orders.js": (
                "async function find(req, pool) {\n"
                "  return pool.query(`SELECT * FROM orders WHERE id = '${req.params.id}'`);\n"
                "}\n"
                "module.exports = { find };\n"
            )
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    assert [f.message.rsplit(" ", 1)[-1] for f in outcome.findings] == [
        "[js-sql-injection-request-data]"
    ]


@needs_semgrep
def test_only_the_source_of_deployed_applications_is_analysed(tmp_path):
    vulnerable = "exports.run = (req) => eval(req.body.code);\n"
    write(
        tmp_path,
        {
            "service/package.json": json.dumps(
                {"name": "service", "dependencies": {"shared": "file:../shared"}}
            ),
            "service/src/index.js": vulnerable,
            "service/scripts/seed.js": vulnerable,  # beside src: not deployed code
            "service/src/__tests__/index.js": vulnerable,
            "service/src/index.spec.js": vulnerable,
            "service/src/node_modules/lib/index.js": vulnerable,
            "service/src/dist/index.min.js": vulnerable,
            "shared/src/run.js": vulnerable,  # a local module the service depends on
            "mc-app/src/index.js": vulnerable,  # a Merchant Center custom application
            "tools/run.js": vulnerable,  # no application deploys it
        },
    )
    context = context_for(
        tmp_path, "service", "mc-app", types={"mc-app": "merchant-center-custom-application"}
    )

    outcome = CodeCheck().run(context)

    assert _summary(outcome) == [
        ("Error", "service", "service/src/index.js", 1),
        ("Error", "service", "shared/src/run.js", 1),
        ("Information", "mc-app", None, None),
    ]
    assert outcome.findings[1].message.startswith("service: shared/src/run.js:1: Data from")
    assert outcome.findings[2].message == (
        "mc-app: Merchant Center custom application: not analysed, as on the hosted service."
    )
    assert outcome.summary == (
        "Semgrep analysed 2 files of 1 application(s): 2 error(s), 0 warning(s)."
    )


@needs_semgrep
def test_an_application_without_src_is_analysed_whole(tmp_path):
    write(
        tmp_path,
        {
            "job/index.js": "exports.run = (req) => eval(req.body.code);\n",
            "job/package.json": json.dumps(
                {"scripts": {"start": "NODE_TLS_REJECT_UNAUTHORIZED=0 node index.js"}}
            ),
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "job"))

    assert [(f.file, f.line, f.message.rsplit(" ", 1)[-1]) for f in outcome.findings] == [
        ("job/index.js", 1, "[js-code-injection-request-data]"),
        ("job/package.json", 1, "[node-tls-verification-disabled-by-environment]"),
    ]


@needs_semgrep
def test_only_merchant_center_applications_skips_the_check_and_says_why(tmp_path):
    write(tmp_path, {"mc-app/src/index.js": "eval(location.hash);\n"})
    context = context_for(
        tmp_path, "mc-app", types={"mc-app": "merchant-center-custom-application"}
    )

    outcome = CodeCheck().run(context)

    assert outcome.status == "skipped"
    assert _summary(outcome) == [("Information", "mc-app", None, None)]


@needs_semgrep
def test_repository_ignore_files_cannot_hide_code(tmp_path):
    write(
        tmp_path,
        {
            ".semgrepignore": "service/\n",
            "service/.semgrepignore": "src/\n",
            "service/.gitignore": "src/\n",
            "service/src/client.js": (
                'const https = require("https");\nnew https.Agent({ rejectUnauthorized: false });\n'
            ),
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    assert _summary(outcome) == [("Error", "service", "service/src/client.js", 2)]


@needs_semgrep
def test_application_named_like_an_excluded_folder_is_still_analysed(tmp_path):
    write(
        tmp_path,
        {
            "tests/src/run.js": "eval(input);\n",
            "tests/src/test/run.test.js": "eval(input);\n",
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "tests"))

    assert _summary(outcome) == [("Warning", "tests", "tests/src/run.js", 1)]


@needs_semgrep
def test_silenced_findings_are_information_for_the_certifier_and_do_not_fail(tmp_path):
    write(
        tmp_path,
        {
            "service/src/run.js": (
                "exports.a = (req) => eval(req.body.a);"
                " // nosemgrep: js-code-injection-request-data\n"
                "// nosemgrep\n"
                "exports.b = (req) => eval(req.body.b);\n"
                "exports.c = (req) => eval(req.body.c); // nosemgrep: js-weak-hash\n"
            ),
            "service/src/hash.js": (
                'const crypto = require("crypto");\n'
                "// nosemgrep: js-weak-hash\n"
                'exports.etag = (b) => crypto.createHash("md5").update(b).digest("hex");\n'
            ),
        },
    )

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    # The comment on line 4 names another rule: that finding stands.
    assert _summary(outcome) == [
        ("Error", "service", "service/src/run.js", 4),
        ("Information", "service", "service/src/hash.js", 3),
        ("Information", "service", "service/src/run.js", 1),
        ("Information", "service", "service/src/run.js", 3),
    ]
    silenced = outcome.findings[1:]
    assert silenced[0].message.startswith("service: silenced in source: src/hash.js:3: MD5 and")
    assert silenced[0].message.endswith("[js-weak-hash]")
    assert silenced[1].message.startswith(
        "service: silenced in source: src/run.js:1: would fail the check: Data from the HTTP"
    )
    assert silenced[1].message.endswith("[js-code-injection-request-data]")
    assert outcome.summary == (
        "Semgrep analysed 2 files of 1 application(s): 1 error(s), 0 warning(s), "
        "3 silenced in source."
    )


@needs_semgrep
def test_silencing_every_finding_lets_the_check_succeed(tmp_path):
    write(
        tmp_path,
        {"service/src/run.js": "exports.a = (req) => eval(req.body.a); // nosemgrep\n"},
    )

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    assert outcome.status == "succeeded"
    assert _summary(outcome) == [("Information", "service", "service/src/run.js", 1)]


@needs_semgrep
def test_unparsable_file_is_reported_as_information(tmp_path):
    # Semgrep parses only files some rule could match: this one sets a timer.
    write(tmp_path, {"service/src/broken.js": "setInterval(poll, 1000);\nfunction (\n"})

    outcome = CodeCheck().run(context_for(tmp_path, "service"))

    assert outcome.status == "succeeded"
    (finding,) = outcome.findings
    assert (finding.type, finding.file, finding.line) == ("Information", "service/src/broken.js", 2)
    assert finding.message == (
        "service: src/broken.js:2: could not be fully parsed: parts of it were not analysed."
    )


@needs_semgrep
def test_a_rule_semgrep_cannot_load_fails_the_check_instead_of_being_dropped(tmp_path):
    rules = tmp_path / "rules"
    write(
        rules,
        {
            "broken.yaml": (
                "rules:\n  - id: broken\n    languages: [javascript]\n    severity: ERROR\n"
                "    message: never loads\n    pattern: 'foo(((('\n"
            )
        },
    )
    write(tmp_path, {"service/src/index.js": "eval(x);\n"})

    outcome = CodeCheck(rules=rules).run(context_for(tmp_path, "service"))

    assert outcome.status == "failed"
    assert outcome.summary.startswith("Semgrep rejected a rule: Rule parse error in rule broken")


@needs_semgrep
def test_a_rules_folder_without_rules_fails_the_check_instead_of_using_other_rules(tmp_path):
    write(tmp_path, {"rules/README.md": "none yet\n", "service/src/index.js": "eval(x);\n"})

    outcome = CodeCheck(rules=tmp_path / "rules").run(context_for(tmp_path, "service"))

    assert outcome.status == "failed"
    assert outcome.summary == "no rule files in rules"


@needs_semgrep
def test_semgrep_running_past_its_timeout_fails_the_check(tmp_path):
    write(tmp_path, {"service/src/index.js": "eval(x);\n"})
    context = context_for(tmp_path, "service")
    context.options["semgrep_timeout_seconds"] = 0.01

    outcome = CodeCheck().run(context)

    assert outcome.status == "failed"
    assert outcome.summary == "Semgrep did not finish within 0.01 s"
    assert outcome.findings[0].message == (
        "Code analysis could not run: Semgrep did not finish within 0.01 s."
    )


def test_missing_semgrep_skips_the_check(tmp_path):
    write(tmp_path, {"service/src/index.js": "eval(x);\n"})

    outcome = CodeCheck(executable=str(tmp_path / "no-semgrep")).run(
        context_for(tmp_path, "service")
    )

    assert outcome.status == "skipped"
    assert "Semgrep is not installed" in outcome.summary


def test_no_application_folder_skips_the_check(tmp_path):
    outcome = CodeCheck().run(context_for(tmp_path, "missing"))

    assert outcome.status == "skipped"
    assert outcome.summary == "No application folder to analyse."


def test_check_has_the_expected_name():
    assert CodeCheck.name == "Code analysis"
