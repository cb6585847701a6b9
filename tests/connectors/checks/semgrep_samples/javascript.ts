// Rule tests for javascript.yaml in TypeScript (semgrep --test): "ruleid: <id>" marks a line
// the rule must report, "ok: <id>" a line it must not.
import * as crypto from "crypto";
import { createHash } from "node:crypto";
import https from "https";
import Fastify, { FastifyRequest } from "fastify";
import { DataSource } from "typeorm";
import { PrismaClient } from "@prisma/client";
import { ByProjectKeyRequestBuilder } from "@commercetools/platform-sdk";

const server = Fastify();
const dataSource = new DataSource({ type: "postgres" });
const prisma = new PrismaClient();

type OrderQuery = { Querystring: { customer: string; sort: string } };

server.get("/orders", async (request: FastifyRequest<OrderQuery>) => {
  const customer = request.query.customer as string;
  const orders = await dataSource
    .getRepository("order")
    .createQueryBuilder("o")
    // ruleid: js-sql-injection-request-data, js-sql-string-building
    .where(`o.customer = '${customer}'`)
    .getMany();
  // ruleid: js-sql-injection-request-data, js-sql-string-building
  const sorted = await prisma.$queryRawUnsafe(`SELECT * FROM "Order" ORDER BY ${request.query.sort}`);
  // ruleid: js-sql-injection-request-data
  const byManager = await dataSource.manager.query(request.query.sort);
  // ok: js-sql-injection-request-data
  const bound = await dataSource.createQueryBuilder("o").where("o.customer = :customer", { customer }).getMany();
  // ok: js-sql-injection-request-data
  const tagged = await prisma.$queryRaw`SELECT * FROM "Order" WHERE customer = ${customer}`;
  return [orders, sorted, byManager, bound, tagged];
});

// The commercetools SDK and its query predicates are not SQL.
export async function findExtension(apiRoot: ByProjectKeyRequestBuilder, key: string, ids: string[]) {
  const {
    body: { results },
  } = await apiRoot
    .extensions()
    .get({
      queryArgs: {
        // ok: js-sql-string-building
        where: `key = "${key}"`,
      },
    })
    .execute();
  const carts = await apiRoot
    .carts()
    // ok: js-sql-string-building
    .get({ queryArgs: { where: [`id in (${ids.map((id) => `"${id}"`).join(",")})`], limit: 500 } })
    .execute();
  // ok: js-sql-string-building
  await apiRoot.carts().withId({ ID: ids[0] }).post({ body: { version: 1, actions: [] } }).execute();
  const graphql = await apiRoot
    .graphql()
    .post({
      body: {
        // ok: js-sql-string-building
        query: `query Orders { orders(where: "id in (${ids.join(",")})") { results { id } } }`,
        variables: { key },
      },
    })
    .execute();
  // ruleid: js-sql-string-building
  await dataSource.query(`DELETE FROM extension_log WHERE key = '${key}'`);
  return [results, carts, graphql];
}

server.post("/webhook", async (request: FastifyRequest<{ Body: { message: { data: string } } }>) => {
  const payload = Buffer.from(request.body.message.data, "base64").toString();
  // ruleid: js-code-injection-request-data, js-eval-dynamic-code
  return eval(payload);
});

export async function notify(request: FastifyRequest<{ Body: { url: string } }>) {
  // ok: js-code-injection-request-data
  const response = await fetch(`${process.env.NOTIFY_URL}/hooks?target=${encodeURIComponent(request.body.url)}`);
  // ok: js-code-injection-request-data
  return JSON.parse(await response.text());
}

// ruleid: js-tls-verification-disabled
export const insecureAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
// ok: js-tls-verification-disabled
export const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: true });
// ruleid: js-tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
// ruleid: js-tls-verification-disabled
const options = { url: "https://api.example.com", strictSSL: false };

export function hashPassword(password: string): string {
  // ruleid: js-weak-hash-for-password
  return crypto.createHash("md5").update(password).digest("hex");
}

export function hashUserSecret(user: { clientSecret: string }): string {
  // ruleid: js-weak-hash-for-password
  return createHash("sha1").update(user.clientSecret).digest("hex");
}

export function etag(body: string): string {
  // ruleid: js-weak-hash
  return crypto.createHash("md5").update(body).digest("base64");
}

export function checksum(body: string): string {
  // ok: js-weak-hash, js-weak-hash-for-password
  return crypto.createHash("sha256").update(body).digest("hex");
}

export function strongPassword(password: string, salt: Buffer): Buffer {
  // ok: js-weak-hash-for-password
  return crypto.scryptSync(password, salt, 64);
}

export function encrypt(text: string, key: Buffer, iv: Buffer) {
  // ruleid: js-deprecated-create-cipher
  const legacy = crypto.createCipher("aes-256-cbc", "passphrase");
  // ruleid: js-weak-cipher
  const des = crypto.createCipheriv("des-ede3-cbc", key, iv);
  // ruleid: js-weak-cipher
  const ecb = crypto.createCipheriv("aes-128-ecb", key, null);
  // ok: js-weak-cipher, js-deprecated-create-cipher
  const gcm = crypto.createCipheriv("aes-256-gcm", key, iv);
  return [legacy, des, ecb, gcm, options, text];
}
