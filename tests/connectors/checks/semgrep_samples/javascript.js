// Rule tests for javascript.yaml (semgrep --test): "ruleid: <id>" marks a line the rule must
// report, "ok: <id>" a line it must not. Look-alikes come from the code connectors are made
// of: commercetools SDK calls, query predicates, GraphQL, logs, URLs.
const express = require("express");
const { Pool } = require("pg");
const mysql = require("mysql2/promise");

const app = express();
const pool = new Pool();

app.get("/orders", async (req, res) => {
  // ruleid: js-sql-injection-request-data, js-sql-string-building
  const byCustomer = await pool.query("SELECT * FROM orders WHERE customer = '" + req.query.customer + "'");
  const status = req.query.status;
  const sql = `SELECT id, total
    FROM orders
    WHERE status = '${status}'`;
  // ruleid: js-sql-injection-request-data, js-sql-string-building
  const byStatus = await pool.query(sql);
  // ok: js-sql-injection-request-data
  const safe = await pool.query("SELECT * FROM orders WHERE customer = $1", [req.query.customer]);
  // ok: js-sql-injection-request-data
  const counted = await pool.query(`SELECT * FROM orders LIMIT ${Number(req.query.limit)}`);
  res.json([byCustomer.rows, byStatus.rows, safe.rows, counted.rows]);
});

app.post("/carts/:id", async (req, res) => {
  const connection = await mysql.createConnection({});
  // ruleid: js-sql-injection-request-data
  await connection.execute(req.body.statement);
  // ruleid: js-sql-injection-request-data, js-sql-string-building
  await connection.query({ text: `DELETE FROM carts WHERE id = ${req.params.id}` });
  // ok: js-sql-injection-request-data
  await connection.execute("DELETE FROM carts WHERE id = ?", [req.params.id]);
  // ok: js-sql-injection-request-data
  await connection.query(`DELETE FROM carts WHERE id = ${connection.escape(req.params.id)}`);
  res.sendStatus(204);
});

app.get("/reports", async (req, res) => {
  const { sort } = req.query;
  // ruleid: js-sql-injection-request-data
  const rows = await knex("orders").select("*").orderByRaw(sort);
  // ruleid: js-sql-injection-request-data, js-sql-string-building
  const raw = await knex.raw(`SELECT * FROM orders WHERE region = '${req.headers["x-region"]}'`);
  // ok: js-sql-injection-request-data
  const bound = await knex.raw("SELECT * FROM orders WHERE region = ?", [req.headers["x-region"]]);
  // ok: js-sql-injection-request-data
  const tagged = await pool.query(sql`SELECT * FROM orders WHERE region = ${req.query.region}`);
  res.json([rows, raw, bound, tagged]);
});

router.post("/koa/orders/:id", async (ctx) => {
  // ruleid: js-sql-injection-request-data
  ctx.body = await pool.query(ctx.request.body.statement);
  // ruleid: js-sql-injection-request-data, js-sql-string-building
  await pool.query(`DELETE FROM orders WHERE id = ${ctx.params.id}`);
  // ok: js-sql-injection-request-data
  await pool.query("DELETE FROM orders WHERE id = $1", [ctx.params.id]);
});

async function lookAlikes(req, res, apiRoot, graphqlClient, logger) {
  const key = req.params.key;
  const ids = req.body.ids.join('","');
  // ok: js-sql-injection-request-data
  const found = await apiRoot.customObjects().get({ queryArgs: { where: `key = "${key}"` } }).execute();
  const products = await apiRoot
    .products()
    .get({
      queryArgs: {
        // ok: js-sql-injection-request-data
        where: [`id in ("${ids}")`],
      },
    })
    .execute();
  // ok: js-sql-injection-request-data
  await apiRoot.carts().withId({ ID: req.params.id }).post({ body: req.body }).execute();
  const result = await graphqlClient.query({
    // ok: js-sql-injection-request-data
    query: `query { order(id: "${req.params.id}") { id } }`,
    variables: { id: req.params.id },
  });
  // ok: js-sql-injection-request-data
  logger.info(`select ${req.query.q} from the catalogue`);
  // ok: js-sql-injection-request-data
  const response = await fetch(`${process.env.BASE_URL}/select?x=${req.query.q}`);
  // ok: js-sql-injection-request-data
  const data = JSON.parse(req.body.payload);
  // ok: js-sql-injection-request-data
  const cached = await cache.get("order:" + req.params.id);
  // ok: js-sql-injection-request-data
  const remote = await axios.get(`${process.env.BASE_URL}/select?from=${req.query.q}`);
  // ok: js-sql-injection-request-data
  await ctClient.execute({ uri: `/carts/${req.params.id}`, method: "POST", body: req.body });
  const operation = { query: ORDER_QUERY, variables: { id: req.params.id } };
  // ok: js-sql-injection-request-data
  await graphqlClient.query(operation);
  res.json([found, products, result, response, data, cached, remote]);
}

const TABLE = "orders";

async function builtFromValues(db, orderId, column, dataSource) {
  // ruleid: js-sql-string-building
  await db.query("SELECT * FROM orders WHERE id = " + orderId);
  // ruleid: js-sql-string-building
  await db.all(`SELECT * FROM ${TABLE} WHERE id = ${orderId}`);
  // ruleid: js-sql-string-building
  await dataSource.createQueryBuilder("o").where(`o.id = ${orderId}`).getMany();
  // ruleid: js-sql-string-building
  await prisma.$queryRawUnsafe(`SELECT * FROM orders ORDER BY ${column}`);
  const statement = `UPDATE orders SET state = '${column}' WHERE id = ${orderId}`;
  // ruleid: js-sql-string-building
  await db.run(statement);
  const fixed = `SELECT * FROM ${TABLE} LIMIT 10`;
  // ok: js-sql-string-building
  await db.all(fixed);
  // ok: js-sql-string-building
  await db.query(`SELECT * FROM ${TABLE}`);
  // ok: js-sql-string-building
  await db.query(`SELECT * FROM orders LIMIT ${10}`);
  // ok: js-sql-string-building
  await db.query("SELECT * FROM " + TABLE + " WHERE id = $1", [orderId]);
  // ok: js-sql-string-building
  await dataSource.createQueryBuilder("o").where("o.id = :id", { id: orderId }).getMany();
  // ok: js-sql-string-building
  await prisma.$queryRaw`SELECT * FROM orders WHERE id = ${orderId}`;
  // ok: js-sql-string-building
  await apiRoot.orders().get({ queryArgs: { where: `id = "${orderId}"` } }).execute();
  // ok: js-sql-string-building
  const url = `${process.env.BASE_URL}/select?x=${orderId}`;
  // ok: js-sql-string-building
  logger.info(`select ${orderId} from the catalogue`);
  return url;
}

const vm = require("vm");
const childProcess = require("child_process");
const { exec, execFile, spawn } = require("child_process");
const fs = require("fs");
const path = require("path");

app.post("/run", (req, res) => {
  const { body, method } = req;
  // ruleid: js-code-injection-request-data, js-eval-dynamic-code
  eval(body.expression);
  // ok: js-code-injection-request-data
  setTimeout(method, 10);
  const { expression } = req.body;
  // ruleid: js-code-injection-request-data, js-eval-dynamic-code
  const value = eval(expression);
  // ruleid: js-code-injection-request-data, js-eval-dynamic-code
  const compute = new Function("a", "b", req.query.formula);
  // ruleid: js-code-injection-request-data, js-eval-dynamic-code
  vm.runInNewContext(req.body.script, {});
  // ruleid: js-code-injection-request-data, js-eval-dynamic-code
  setTimeout("refresh('" + req.query.id + "')", 100);
  // ok: js-code-injection-request-data
  setTimeout(() => refresh(req.query.id), 100);
  // ok: js-code-injection-request-data
  const parsed = JSON.parse(req.body.expression);
  // ok: js-code-injection-request-data
  const picked = { sum: (a, b) => a + b }[req.query.operation];
  res.json([value, compute, parsed, picked]);
});

function dynamicCode(userScript, template) {
  // ruleid: js-eval-dynamic-code
  vm.runInThisContext(userScript);
  // ruleid: js-eval-dynamic-code
  setInterval(`render(${template})`, 1000);
  // ok: js-eval-dynamic-code
  setInterval(render, 1000);
  // ok: js-eval-dynamic-code
  setTimeout(() => render(`${template} changed`), 300);
  // ok: js-eval-dynamic-code
  const total = math.evaluate(template);
  // ruleid: js-eval-string
  eval("2 + 2");
  // ruleid: js-eval-string
  setInterval("poll()", 1000);
  // ok: js-eval-string
  setInterval(poll, 1000);
  // ok: js-eval-string
  math.evaluate("2 + 2");
}

app.get("/files", async (req, res) => {
  // ruleid: js-command-injection-request-data, js-shell-command-string-building
  exec(`git log ${req.query.branch}`, (error, stdout) => res.send(stdout));
  const target = req.query.host;
  // ruleid: js-command-injection-request-data
  childProcess.exec(target);
  // ruleid: js-command-injection-request-data
  spawn(req.query.program, ["--version"]);
  // ruleid: js-command-injection-request-data
  spawn("git", req.body.args, { shell: true });
  // ok: js-command-injection-request-data
  execFile("git", ["log", req.query.branch]);
  // ok: js-command-injection-request-data
  childProcess.exec("git status");
  // ok: js-command-injection-request-data
  const match = /^[a-z]+$/.exec(req.query.branch);
  // ruleid: js-path-traversal-request-data
  const text = fs.readFileSync(path.join(__dirname, "files", req.params.name), "utf8");
  // ruleid: js-path-traversal-request-data
  res.sendFile(req.query.file);
  // ok: js-path-traversal-request-data
  res.sendFile(req.query.file, { root: path.join(__dirname, "public") });
  // ok: js-path-traversal-request-data
  const safe = await fs.promises.readFile(path.join(__dirname, "files", path.basename(req.params.name)));
  res.json([match, text, safe]);
});

function shellCommands(file) {
  // ruleid: js-shell-command-string-building
  childProcess.exec("convert " + file + " out.png");
  // ruleid: js-shell-command-string-building
  require("child_process").execSync(`ls ${file}`);
  // ok: js-shell-command-string-building
  childProcess.execSync("ls " + "/tmp");
  // ok: js-shell-command-string-building
  execFile("convert", [file, "out.png"]);
}

module.exports = { app, lookAlikes, builtFromValues, dynamicCode, shellCommands };
