// Samples for the TLS and cryptography rules (TypeScript).
import * as crypto from "crypto";
import https from "https";
import { createHash } from "node:crypto";

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
  // ok: js-weak-hash
  // ok: js-weak-hash-for-password
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
  // ok: js-weak-cipher
  // ok: js-deprecated-create-cipher
  const gcm = crypto.createCipheriv("aes-256-gcm", key, iv);
  return [legacy, des, ecb, gcm, options, text];
}
