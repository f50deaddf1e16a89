// The package's API against the CLI and against its own promises: errors, diagnostics, tests,
// plans, the schema view and the types.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Cases, Policy, HumiaoError, engineVersion, init } from "../../js/node.js";
import * as evaluate from "../../js/evaluate-node.js";
import { readPolicyDir } from "../../tools/rules.mjs";
import { cli, corpusDir, repo, rulesDir } from "../helpers/cli.mjs";

const sources = readPolicyDir(rulesDir);
const policy = Policy.fromSources(sources);
const example = JSON.parse(readFileSync(`${repo}/examples/case-school-girl.json`, "utf8"));

test("init() is a no-op in Node and the engine reports its version", async () => {
  await init();
  assert.match(engineVersion(), /^\d+\.\d+\.\d+/);
});

test("name, version and digest are the CLI's", () => {
  const d = JSON.parse(cli(["eval", "rules", "--facts", "examples/case-school-girl.json", "--as-of", "2026-03-01"]).stdout);
  assert.deepEqual({ name: policy.name, version: policy.version, digest: policy.digest }, d.policy);
});

test("check() of the whole set equals `humiao check --format json`", () => {
  const ref = JSON.parse(cli(["check", "rules", "--format", "json"]).stdout);
  assert.deepStrictEqual(Policy.check(sources), ref);
  assert.deepStrictEqual(policy.check(), ref.diagnostics);
});

test("runTests() equals `humiao test --format json`", () => {
  const ref = cli(["test", "rules", "--format", "json"]);
  const report = policy.runTests();
  assert.deepStrictEqual(report, JSON.parse(ref.stdout));
  assert.ok(report.passed > 0);
});

test("plan() equals `humiao plan --format json`, byte for byte", () => {
  const rotation = policy.rotations[0];
  assert.ok(rotation, "the bundled set declares a rotation");
  const ref = cli(["plan", "rules", "--rotation", rotation, "--from", "2027-01", "--months", "3", "--format", "json"]);
  assert.equal(ref.code, 0, ref.stderr);
  assert.equal(policy.planJson(rotation, "2027-01", 3), ref.stdout.replace(/\n$/, ""));
  const plan = policy.plan(rotation, "2027-01", 3);
  assert.equal(plan.months.length, 3);
  // Continuing from its own history gives the next months.
  const next = policy.plan(rotation, "2027-04", 1, { history: plan });
  assert.equal(next.months[0].month, "2027-04");
  assert.throws(() => policy.plan("no-such-rotation", "2027-01"), (e) => e instanceof HumiaoError && e.kind === "plan");
});

test("fromBytes(toBytes()) is the same set: decisions, tests, diagnostics; the page's bytes are rules/'s", () => {
  const bytes = policy.toBytes();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
  const again = Policy.fromBytes(bytes);
  assert.deepEqual({ name: again.name, version: again.version, digest: again.digest }, { name: policy.name, version: policy.version, digest: policy.digest });
  for (const options of [{}, { explain: true }]) {
    assert.equal(again.evaluateJson(example, "2026-03-01", options), policy.evaluateJson(example, "2026-03-01", options));
  }
  assert.deepStrictEqual(again.check(), policy.check());
  assert.deepStrictEqual(again.runTests(), policy.runTests());
  assert.deepStrictEqual(again.schema(), policy.schema());
  assert.deepStrictEqual(Policy.fromBytes(bytes.buffer).toBytes(), bytes);
});

test("humiao/evaluate reads toEvaluationBytes() and decides as the set; the page's bytes are rules/'s", async () => {
  await evaluate.init();
  assert.equal(evaluate.engineVersion(), engineVersion());
  const bytes = policy.toEvaluationBytes();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0 && bytes.length < policy.toBytes().length / 2);
  const p = evaluate.Policy.fromEvaluationBytes(bytes);
  assert.deepEqual({ name: p.name, version: p.version, digest: p.digest }, { name: policy.name, version: policy.version, digest: policy.digest });
  for (const options of [{}, { explain: true }, { explain: true, lenient: true }]) {
    assert.equal(p.evaluateJson(example, "2026-03-01", options), policy.evaluateJson(example, "2026-03-01", options));
  }
  assert.deepStrictEqual(evaluate.Policy.fromEvaluationBytes(bytes.buffer).evaluate(example, "2026-03-01"), policy.evaluate(example, "2026-03-01"));
  // The same errors, of the same class.
  const facts = { ...example, minor: { ...example.minor, age: "nine" } };
  let want;
  assert.throws(() => policy.evaluate(facts, "2026-03-01"), (e) => (want = e) instanceof HumiaoError);
  assert.throws(
    () => p.evaluate(facts, "2026-03-01"),
    (e) => e instanceof HumiaoError && e.kind === want.kind && assert.deepStrictEqual(e.facts, want.facts) === undefined,
  );
  // It evaluates and nothing else: the compiler is not in it.
  for (const name of ["fromSources", "fromBytes", "check", "readManifest"]) assert.equal(evaluate.Policy[name], undefined, name);
  for (const name of ["runTests", "plan", "schema", "toBytes", "toEvaluationBytes", "rotations"]) assert.equal(p[name], undefined, name);
  // What the page loads for its first decision (written by build.sh) is this set's bytes.
  const shipped = readFileSync(fileURLToPath(new URL("../../pkg/site/bundled-evaluation.bin", import.meta.url)));
  assert.deepStrictEqual(new Uint8Array(shipped), bytes);
});

test("each kind of compiled bytes is refused by the other's reader, in both languages", () => {
  assert.throws(
    () => Policy.fromBytes(policy.toEvaluationBytes()),
    (e) => e instanceof HumiaoError && e.kind === "input" && /only what evaluation needs/.test(e.message) && e.messageZh.length > 0,
  );
  assert.throws(
    () => evaluate.Policy.fromEvaluationBytes(policy.toBytes()),
    (e) => e instanceof HumiaoError && e.kind === "input" && /the whole policy set/.test(e.message) && e.messageZh.length > 0,
  );
  for (const bad of [new Uint8Array([1, 2, 3]), policy.toEvaluationBytes().slice(0, 100)]) {
    assert.throws(() => evaluate.Policy.fromEvaluationBytes(bad), (e) => e instanceof HumiaoError && e.kind === "input" && e.messageZh.length > 0);
  }
  const other = policy.toEvaluationBytes();
  other[8] += 1; // the format version, the first byte after the magic
  assert.throws(() => evaluate.Policy.fromEvaluationBytes(other), (e) => e.kind === "input" && /compile it from its sources again/.test(e.message));
  assert.throws(() => evaluate.Policy.fromEvaluationBytes("HUMIAO"), TypeError);
  assert.throws(() => new evaluate.Policy(), TypeError);
});

test("fromBytes refuses other bytes with an input error, in both languages", () => {
  for (const bad of [new Uint8Array([1, 2, 3]), policy.toBytes().slice(0, 100)]) {
    assert.throws(
      () => Policy.fromBytes(bad),
      (e) => e instanceof HumiaoError && e.kind === "input" && e.message.length > 0 && e.messageZh.length > 0,
    );
  }
  const other = policy.toBytes();
  other[8] += 1; // the format version, the first byte after the magic
  assert.throws(() => Policy.fromBytes(other), (e) => e.kind === "input" && /compile it from its sources again/.test(e.message));
  assert.throws(() => Policy.fromBytes("HUMIAO"), TypeError);
});

test("a set with errors throws a HumiaoError with every diagnostic at its line and column", () => {
  const broken = { ...sources };
  broken["reporting.humiao"] = sources["reporting.humiao"].replace("indicators.genital_private_injury", "indicators.genital_privte_injury");
  const line = broken["reporting.humiao"].split("\n").findIndex((l) => l.includes("genital_privte_injury")) + 1;
  assert.throws(
    () => Policy.fromSources(broken),
    (e) => {
      assert.ok(e instanceof HumiaoError);
      assert.ok(e instanceof Error);
      assert.equal(e.kind, "policy");
      const d = e.diagnostics.find((x) => x.file === "reporting.humiao" && x.severity === "error");
      assert.ok(d, JSON.stringify(e.diagnostics));
      assert.equal(d.line, line);
      assert.match(d.message + (d.help ?? ""), /genital_private_injury/);
      assert.ok(d.message_zh.length > 0);
      return true;
    },
  );
  const report = Policy.check(broken);
  assert.equal(report.ok, false);
  assert.equal(report.digest, null);
});

test("invalid facts throw a HumiaoError listing each problem, as the CLI's jsonl error record", () => {
  const facts = { ...example, minor: { ...example.minor, age: "nine", sexx: "female" } };
  const ref = JSON.parse(cli(["eval", "rules", "--facts", "-", "--as-of", "2026-03-01", "--format", "jsonl"], JSON.stringify(facts) + "\n").stdout);
  assert.throws(
    () => policy.evaluate(facts, "2026-03-01"),
    (e) => e instanceof HumiaoError && e.kind === "facts" && assert.deepStrictEqual(e.facts, ref.error.facts) === undefined,
  );
});

test("lenient facts and explain work as the CLI's flags", () => {
  const facts = { ...example, minor: { ...example.minor, sexx: "female" } };
  const ref = cli(["eval", "rules", "--facts", "-", "--as-of", "2026-03-01", "--lenient", "--explain"], JSON.stringify(facts));
  assert.equal(policy.evaluateJson(facts, "2026-03-01", { lenient: true, explain: true }), ref.stdout.replace(/\n$/, ""));
});

test("without asOf the decision is for today in +08:00 and says so", () => {
  const d = policy.evaluate(example);
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  assert.equal(d.as_of, today);
  assert.ok(d.notes.some((n) => n.includes("as_of not given")));
});

test("evaluateOutcomes gives every case's conclusions as its decision does, without building it", () => {
  const files = readdirSync(corpusDir).filter((f) => f.endsWith(".json")).sort();
  const cases = files
    .map((f) => JSON.parse(readFileSync(join(corpusDir, f), "utf8")))
    .filter((c) => !(c.params && Object.keys(c.params).length) && c.as_of === "2026-03-01" && c.expect?.status !== "error");
  const facts = [];
  for (const c of cases) {
    try {
      policy.evaluate(c.facts, c.as_of);
      facts.push(c.facts);
    } catch {
      // invalid facts: the corpus also holds error cases
    }
  }
  assert.ok(facts.length >= 5, `only ${facts.length} corpus cases as of 2026-03-01`);
  // Objects, JSON text on one line and pretty-printed text are all read.
  const mixed = facts.map((f, i) => (i % 3 === 0 ? f : i % 3 === 1 ? JSON.stringify(f) : JSON.stringify(f, null, 2)));
  const loaded = policy.loadCases(mixed);
  assert.ok(loaded instanceof Cases);
  assert.equal(loaded.length, facts.length);
  const keys = policy.schema().conclusions.map((c) => c.key);
  const out = policy.evaluateOutcomes(loaded, "2026-03-01", keys);
  let settled = 0;
  facts.forEach((f, i) => {
    const d = policy.evaluate(f, "2026-03-01");
    if (!d.undecided?.length && !d.conflicts?.length) settled += 1;
    for (const k of keys) {
      // An undecided conclusion has no value here (the decision lists a set's members known so far).
      if (out.conclusions[k][i] === null && d.undecided?.length) continue;
      assert.deepStrictEqual(out.conclusions[k][i], d.conclusions[k] ?? null, `case ${i} ${k}`);
    }
  });
  // A decision with nothing undecided and no conflict has every conclusion settled (its
  // undecided list may also name rules that only carry obligations).
  assert.ok(out.settled <= facts.length && out.settled >= settled && settled > 0, `${out.settled} / ${settled}`);
  // No keys: only the count, the same count.
  assert.deepStrictEqual(policy.evaluateOutcomes(loaded, "2026-03-01"), { settled: out.settled, conclusions: {} });
  // JSON Lines text gives the same cases.
  const again = policy.loadCases(facts.map((f) => JSON.stringify(f)).join("\n") + "\n\n");
  assert.deepStrictEqual(policy.evaluateOutcomes(again, "2026-03-01", keys), out);
  // Cases 64 at a time: over many blocks (the cases repeated past 150), each case's values
  // wherever its block falls.
  const reps = Math.ceil(150 / facts.length);
  const many = policy.loadCases(Array.from({ length: reps }, () => facts).flat());
  const outMany = policy.evaluateOutcomes(many, "2026-03-01", keys);
  for (const k of keys) {
    assert.equal(outMany.conclusions[k].length, reps * facts.length);
    outMany.conclusions[k].forEach((v, i) => assert.deepStrictEqual(v, out.conclusions[k][i % facts.length], `case ${i} ${k}`));
  }
  assert.equal(outMany.settled, reps * out.settled);
  many.free();
  again.free();
  assert.throws(() => policy.evaluateOutcomes(again, "2026-03-01"), TypeError);
  assert.throws(() => policy.evaluateOutcomes(loaded, "2026-03-01", ["no.such_key"]), (e) => e instanceof HumiaoError && e.kind === "input");
  assert.throws(() => policy.evaluateOutcomes(loaded, "2026-3-1"), (e) => e instanceof HumiaoError && e.kind === "input");
  assert.throws(() => policy.evaluateOutcomes(loaded), TypeError);
  assert.throws(
    () => policy.loadCases([facts[0], { minor: { age: "nine" } }]),
    (e) => e instanceof HumiaoError && e.kind === "facts" && e.message.startsWith("case 1:") && e.facts.length > 0,
  );
  assert.throws(() => policy.loadCases([facts[0], ""]), (e) => e instanceof HumiaoError && e.message.startsWith("case 1"));
  assert.throws(() => policy.loadCases({}), TypeError);
  assert.throws(() => new Cases(), TypeError);
  loaded.free();
});

test("malformed arguments are input errors, not crashes", () => {
  assert.throws(() => policy.evaluate(example, "2026-3-1"), (e) => e instanceof HumiaoError && e.kind === "input");
  assert.throws(() => policy.evaluate("{not json", "2026-03-01"), (e) => e instanceof HumiaoError && e.kind === "input");
  assert.throws(() => Policy.fromSources(["x"]), TypeError);
  assert.throws(() => new Policy(), TypeError);
});

test("the schema view lists facts, enums with Chinese labels, conclusions and rules", () => {
  const s = policy.schema();
  const sex = s.facts.find((f) => f.path === "minor.sex");
  assert.deepEqual(sex.type, { kind: "enum", enum: "Sex" });
  const sexEnum = s.enums.find((e) => e.name === "Sex");
  assert.deepEqual(sexEnum.values.map((v) => v.name), ["female", "male"]);
  assert.ok(sexEnum.values.every((v) => typeof v.label === "string"));
  assert.ok(s.conclusions.some((c) => c.key === "reporting.duty"));
  assert.ok(s.rules.some((r) => r.id === "reporting.duty_mandatory" && r.cite.length > 0));
  assert.equal(s.digest, policy.digest);
});

test("the TypeScript declarations type-check and use no `any`", () => {
  for (const file of ["humiao.d.ts", "evaluate.d.ts"]) {
    const dts = readFileSync(fileURLToPath(new URL(`../../js/${file}`, import.meta.url)), "utf8");
    assert.doesNotMatch(dts.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ""), /\bany\b/, file);
  }
  const tsc = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));
  const r = spawnSync(process.execPath, [tsc, "-p", fileURLToPath(new URL("../types", import.meta.url))], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
