// Every case of tests/conformance through the nodejs-target builds, compared with the CLI: the
// decision's text byte for byte, and the object equal to JSON.parse of the CLI's output; for the
// set compiled from its sources, for the same set read back from its compiled bytes, and for it
// read by the evaluation-only engine (`humiao/evaluate`, the page's first decision) from its
// evaluation bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HumiaoError, Policy } from "../../js/node.js";
import * as evaluate from "../../js/evaluate-node.js";
import { readPolicyDir } from "../../tools/rules.mjs";
import { cli, corpusDir, paramArgs, rulesDir } from "../helpers/cli.mjs";

const files = readdirSync(corpusDir)
  .filter((f) => f.endsWith(".json"))
  .sort();

test("the conformance corpus is not empty", () => {
  assert.ok(files.length > 0, `no cases in ${corpusDir}`);
});

const sources = readPolicyDir(rulesDir);
const policies = new Map();
function policiesFor(params) {
  const key = JSON.stringify(params ?? {});
  if (!policies.has(key)) {
    const compiled = Policy.fromSources(sources, params ?? {});
    policies.set(key, [compiled, Policy.fromBytes(compiled.toBytes()), evaluate.Policy.fromEvaluationBytes(compiled.toEvaluationBytes())]);
  }
  return policies.get(key);
}

for (const file of files) {
  const c = JSON.parse(readFileSync(join(corpusDir, file), "utf8"));
  test(`${file}: ${c.name}`, () => {
    const facts = JSON.stringify(c.facts);
    const ref = cli(["eval", "rules", "--facts", "-", "--as-of", c.as_of, "--format", "json", ...paramArgs(c.params)], facts);
    // As the page asks: with the explanation.
    const explained = ref.code === 0 ? cli(["eval", "rules", "--facts", "-", "--as-of", c.as_of, "--format", "json", "--explain", ...paramArgs(c.params)], facts) : null;
    for (const p of policiesFor(c.params)) {
      if (ref.code === 2) {
        // Facts the CLI refuses: the binding refuses them too.
        assert.throws(() => p.evaluate(c.facts, c.as_of), (e) => e instanceof HumiaoError && e instanceof evaluate.HumiaoError && ["facts", "evaluation"].includes(e.kind));
        continue;
      }
      assert.equal(ref.code, 0, `the CLI failed: ${ref.stderr}`);
      assert.equal(p.evaluateJson(facts, c.as_of), ref.stdout.replace(/\n$/, ""));
      assert.deepStrictEqual(p.evaluate(c.facts, c.as_of), JSON.parse(ref.stdout));
      assert.equal(explained.code, 0, `the CLI failed: ${explained.stderr}`);
      assert.equal(p.evaluateJson(facts, c.as_of, { explain: true }), explained.stdout.replace(/\n$/, ""));
      // The reference evaluator alone (the page's first decision): the same bytes.
      assert.equal(p.evaluateJson(facts, c.as_of, { explain: true, fastPath: false }), explained.stdout.replace(/\n$/, ""));
      assert.equal(p.evaluateJson(facts, c.as_of, { fastPath: false }), ref.stdout.replace(/\n$/, ""));
    }
  });
}
