// Compiled by the Node tests with `tsc --noEmit`: the declarations must accept real use and
// reject misuse (each @ts-expect-error line must be an error).
import { Cases, HumiaoError, Policy, init } from "../../js/humiao";
import type { Decision, Diagnostic, Plan, Schema, TestReport, YuexiuFacts, YuexiuConclusions, YuexiuPolicy } from "../../js/humiao";
import * as evaluate from "../../js/evaluate";

export async function example(sources: Record<string, string>): Promise<string> {
  await init();
  const policy: YuexiuPolicy = Policy.fromSources<YuexiuFacts, YuexiuConclusions>(sources, { "reporting.late_after": "48 hours" });
  const facts: YuexiuFacts = {
    discovered_at: "2026-03-01T10:00:00+08:00",
    reporter: { org_type: "school", in_course_of_work: true },
    minor: { age: 9, sex: "female" },
    indicators: { sexual_assault: true },
    parents: [{ role: "mother", status: ["imprisoned"], until: "2027-01-01" }],
  };
  const d: Decision<YuexiuConclusions> = policy.evaluate(facts, "2026-03-01", { explain: true });
  const duty: "mandatory" | "voluntary" | "review" | "none" | undefined = d.conclusions["reporting.duty"];
  const due: string | null = d.obligations[0]?.due ?? null;
  const missing: string[] = d.missing.map((m) => m.fact);
  const conditions = d.trace?.flatMap((r) => r.conditions.map((c) => c.value)) ?? [];
  const text: string = policy.evaluateJson(JSON.stringify(facts), "2026-03-01");
  const report: TestReport = policy.runTests();
  const plan: Plan = policy.plan("supervision", "2027-01", 3, { flags: { 洪桥街道: "red" }, history: [] });
  const schema: Schema = policy.schema();
  const bytes: Uint8Array = policy.toBytes();
  const again: YuexiuPolicy = Policy.fromBytes<YuexiuFacts, YuexiuConclusions>(bytes);
  Policy.fromBytes<YuexiuFacts, YuexiuConclusions>(bytes.buffer as ArrayBuffer).evaluate(facts, "2026-03-01");
  try {
    Policy.fromSources({ "a.humiao": "rule" });
  } catch (e) {
    if (e instanceof HumiaoError) {
      const first: Diagnostic | undefined = e.diagnostics[0];
      const kind: "policy" | "facts" | "evaluation" | "plan" | "input" = e.kind;
      return `${first?.line}:${first?.column} ${kind} ${e.messageZh} ${e.facts.length}`;
    }
  }
  // @ts-expect-error: sex is an enum
  policy.evaluate({ minor: { sex: "f" } }, "2026-03-01");
  // @ts-expect-error: options are typed
  policy.evaluate(facts, "2026-03-01", { explian: true });
  const cases: Cases = policy.loadCases([facts, JSON.stringify(facts)], { lenient: false });
  const outcomes = policy.evaluateOutcomes(cases, "2026-03-01", ["reporting.duty", "consultation.required"]);
  const duties: ("mandatory" | "voluntary" | "review" | "none" | null)[] = outcomes.conclusions["reporting.duty"];
  const settled: number = policy.evaluateOutcomes(cases, "2026-03-01").settled + cases.length + duties.length;
  cases.free();
  // @ts-expect-error: a Cases, not an array of facts
  policy.evaluateOutcomes([facts], "2026-03-01");
  // @ts-expect-error: bytes, not text
  Policy.fromBytes("HUMIAO");
  // @ts-expect-error: the constructor is private; use fromSources
  new Policy();
  return [settled, duty, due, missing.length, conditions.length, text.length, report.passed, plan.months.length, schema.facts.length, again.digest].join();
}

// `humiao/evaluate`: the evaluation-only engine reads what `toEvaluationBytes` wrote and evaluates.

export async function evaluateOnly(policy: YuexiuPolicy, facts: YuexiuFacts): Promise<string> {
  await evaluate.init();
  const bytes: Uint8Array = policy.toEvaluationBytes();
  const p: evaluate.YuexiuEvaluationPolicy = evaluate.Policy.fromEvaluationBytes<YuexiuFacts, YuexiuConclusions>(bytes);
  const d: evaluate.Decision<YuexiuConclusions> = p.evaluate(facts, "2026-03-01", { explain: true });
  const text: string = p.evaluateJson(facts);
  try {
    evaluate.Policy.fromEvaluationBytes(new Uint8Array([1, 2, 3]));
  } catch (e) {
    if (e instanceof evaluate.HumiaoError) return `${e.kind} ${e.messageZh}`;
  }
  // @ts-expect-error: the evaluation-only engine has no tests
  p.runTests();
  // @ts-expect-error: nor the whole set's bytes
  evaluate.Policy.fromBytes(policy.toBytes());
  // @ts-expect-error: nor sources
  evaluate.Policy.fromSources({});
  // @ts-expect-error: the constructor is private
  new evaluate.Policy();
  return [p.name, p.digest, d.status, text.length, evaluate.engineVersion()].join();
}
