// Samples for the injection rules: each "ruleid:" comment marks a finding on the next
// line, each "ok:" comment a line that must not be reported.
const childProcess = require("child_process");
const { exec, execFile } = require("child_process");

async function sql(req, db, pool, knex) {
  // ruleid: js-sql-injection
  await db.query("SELECT * FROM users WHERE id = " + req.params.id);
  // ruleid: js-sql-injection
  await pool.query(`SELECT * FROM orders WHERE customer = '${req.query.customer}'`);
  const statement = "DELETE FROM carts WHERE id = " + req.body.cartId;
  // ruleid: js-sql-injection
  await db.execute(statement);
  // ruleid: js-sql-injection
  await knex.raw(`SELECT * FROM orders WHERE status = '${req.query.status}'`);
  // ok: js-sql-injection
  await db.query("SELECT * FROM users WHERE id = $1", [req.params.id]);
  // ok: js-sql-injection
  await db.query(sql`SELECT * FROM users WHERE id = ${req.params.id}`);
  // ok: js-sql-injection
  await cache.get("user:" + req.params.id);
}

function code(req, vm, userScript) {
  // ruleid: js-eval-dynamic-code
  eval(req.body.expression);
  // ruleid: js-eval-dynamic-code
  const compute = new Function("a", "b", req.query.formula);
  // ruleid: js-eval-dynamic-code
  vm.runInNewContext(userScript, {});
  // ruleid: js-eval-dynamic-code
  setTimeout("refresh('" + req.query.id + "')", 100);
  // ok: js-eval-dynamic-code
  setTimeout(() => refresh(req.query.id), 100);
  // ok: js-eval-dynamic-code
  const parsed = JSON.parse(req.body.expression);
  // ruleid: js-eval-string
  eval("2 + 2");
  // ruleid: js-eval-string
  setInterval("poll()", 1000);
  // ok: js-eval-string
  setInterval(poll, 1000);
  return compute;
}

function commands(req, file) {
  // ruleid: js-command-injection
  childProcess.exec("convert " + file + " out.png");
  // ruleid: js-command-injection
  exec(`git log ${req.query.branch}`, (error, stdout) => stdout);
  // ruleid: js-command-injection
  require("child_process").execSync("ls " + req.query.dir);
  // ok: js-command-injection
  execFile("git", ["log", req.query.branch]);
  // ok: js-command-injection
  childProcess.exec("git status");
  const target = req.query.host;
  // ruleid: js-command-injection-request-data
  childProcess.exec(target);
  const fixed = "uptime";
  // ok: js-command-injection-request-data
  childProcess.exec(fixed);
}

module.exports = { sql, code, commands };
