// Records the verdict of the official connect.yaml parser on every corpus file.
//
// The parser is @commercetools-connect/specification (MIT, npm registry). Install it
// outside this repository and point this script at that folder:
//
//   mkdir -p /tmp/spec-official && cd /tmp/spec-official \
//     && npm init -y >/dev/null && npm install @commercetools-connect/specification@0.0.16
//   node tests/connectors/spec/official_verdicts.mjs /tmp/spec-official
//
// It rewrites tests/connectors/spec/corpus/expected.json: file name ->
//   {"valid": bool, "errors": ["[path]: message", ...]}
// plus "stage": "yaml" when the file failed before the schema ran (YAML syntax, alias
// limits, duplicate keys). Those messages come from the YAML library, so our tests
// compare only the verdict for them.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const installDir = process.argv[2];
if (!installDir) {
  console.error("usage: node official_verdicts.mjs <folder holding node_modules>");
  process.exit(2);
}
const modules = path.resolve(installDir, "node_modules");
const load = (relative) => import(pathToFileURL(path.join(modules, relative)).href);
const { ConnectorSpecificationParser } = await load(
  "@commercetools-connect/specification/dist/index.js",
);
const YAML = (await load("yaml/dist/index.js")).default;
const parserVersion = JSON.parse(
  fs.readFileSync(path.join(modules, "@commercetools-connect/specification/package.json")),
).version;

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.join(here, "corpus");
const quiet = { logLevel: "error" }; // unresolved-tag warnings are not verdicts

const verdicts = {};
for (const name of fs.readdirSync(corpus).filter((f) => f.endsWith(".yaml")).sort()) {
  // The official CLI reads the file as UTF-8 text, exactly like this.
  const text = fs.readFileSync(path.join(corpus, name), "utf8");
  try {
    YAML.parse(text, quiet);
  } catch (error) {
    verdicts[name] = { valid: false, stage: "yaml", errors: [String(error.message).split("\n")[0]] };
    continue;
  }
  try {
    await new ConnectorSpecificationParser().parse(text);
    verdicts[name] = { valid: true, errors: [] };
  } catch (error) {
    verdicts[name] = { valid: false, errors: String(error.message).split("\n") };
  }
}

const target = path.join(corpus, "expected.json");
const document = { _parser: `@commercetools-connect/specification@${parserVersion}`, ...verdicts };
fs.writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
console.log(`${Object.keys(verdicts).length} files -> ${path.relative(process.cwd(), target)}`);
