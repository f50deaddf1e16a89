// Types of the npm package `humiao` (browser: js/web.js, Node: js/node.js). Shapes follow
// shared/design/CONTRACT.md; a decision object is JSON.parse of the CLI's `--format json` bytes.

// ---------------------------------------------------------------- JSON and facts

/** A JSON value, as facts and param values are written. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The facts of one case: nested objects, no dotted keys (CONTRACT.md, "Facts"). */
export type Facts = { [key: string]: Json | undefined };

/** `{path: text}`: `humiao.toml`, every `*.humiao` file and the data files the manifest names. */
export type Sources = Record<string, string>;

/** Param overrides by name, e.g. `{"reporting.late_after": "48 hours"}`. */
export type Params = Record<string, Json>;

/** `YYYY-MM-DD`. */
export type DateString = string;
/** RFC 3339, e.g. `2026-03-01T10:00:00+08:00`; without an offset it is read as +08:00. */
export type DateTimeString = string;

// ---------------------------------------------------------------- the bundled Yuexiu set

export type OrgType =
  | "residents_committee" | "villagers_committee" | "school" | "kindergarten" | "training_institution"
  | "minors_activity_venue" | "school_bus_provider" | "childcare" | "early_education" | "after_school_care"
  | "domestic_service_agency" | "hospital" | "maternal_child_hospital" | "emergency_centre" | "clinic"
  | "child_welfare_institution" | "rescue_management" | "minors_rescue_protection" | "social_work_org"
  | "hotel" | "state_organ" | "individual" | "other";

export type Indicator =
  | "genital_private_injury" | "sexual_assault" | "sexual_harassment" | "pregnancy" | "abortion"
  | "pregnancy_assault_suspected" | "multiple_injuries" | "severe_malnutrition" | "impaired_consciousness"
  | "domestic_violence" | "bullying" | "maltreatment" | "beating" | "drugged" | "abnormal_disability_or_death"
  | "abandoned" | "unattended" | "unknown_origin" | "missing" | "trafficked" | "organised_begging"
  | "other_serious_harm" | "imminent_danger";

export type HotelFact =
  | "checking_in" | "minor_alone" | "several_minors_together" | "opposite_sex_minors_together"
  | "reasonable_explanation" | "with_adult" | "relationship_plausible" | "minor_impaired" | "other_suspicious"
  | "identity_verified" | "guardian_contact_recorded" | "relationship_recorded";

export type StaffRole =
  | "teacher" | "trainer" | "coach" | "nursery_staff" | "doctor" | "nurse" | "admin" | "security"
  | "gatekeeper" | "driver" | "cleaner" | "domestic_worker" | "board_member" | "volunteer" | "outsourced";

export type RecordKind =
  | "rape" | "forcible_indecency" | "indecency_child" | "sexual_assault_other" | "maltreatment" | "trafficking"
  | "violent_injury" | "theft" | "fraud" | "other_intentional" | "negligent";

export interface OffenceRecord {
  kind: RecordKind;
  disposition: "convicted" | "relative_non_prosecution" | "admin_penalty" | "acquitted" | "pending";
  sentence?: "none" | "detention" | "fixed_term" | "life";
}

export type ParentStatus =
  | "alive_ok" | "dead" | "declared_dead" | "declared_missing" | "not_found" | "lost_contact" | "imprisoned"
  | "compulsory_detox" | "other_liberty_restriction" | "severe_illness" | "guardianship_revoked" | "deported";

export interface Parent {
  role: "father" | "mother";
  status: ParentStatus[];
  since?: DateString;
  until?: DateString;
  disability_grade?: 1 | 2 | 3 | 4;
  disability_type?: "physical" | "visual" | "hearing" | "speech" | "intellectual" | "mental" | "multiple";
}

export type GuardianFact =
  | "other_capable_guardian" | "whereabouts_unknown" | "unable_emergency" | "refuses_duties" | "instigates_crime"
  | "suspected_perpetrator" | "serious_harm_by_guardian" | "guardian_incapacitated" | "wandering_unidentified"
  | "court_appointed_civil_affairs";

/** The facts of a case for the bundled Yuexiu set (CONTRACT.md, "Facts"). Absent = unknown. */
export interface YuexiuFacts {
  discovered_at?: DateTimeString;
  reported_at?: DateTimeString;
  reporter?: { org_type?: OrgType; in_course_of_work?: boolean };
  minor?: {
    id?: string;
    birth_date?: DateString;
    age?: number;
    sex?: "female" | "male";
    self_supporting?: boolean;
    risk_level?: "red" | "yellow" | "blue" | "green";
    last_guardianship_assessment?: DateString;
  };
  indicators?: Partial<Record<Indicator, boolean>>;
  hotel?: Partial<Record<HotelFact, boolean>>;
  employment?: {
    employer_type?: OrgType;
    role?: StaffRole;
    stage?: "pre_hire" | "in_service";
    query_done?: boolean;
    query_date?: DateString;
    consent_given?: boolean;
    records?: OffenceRecord[];
  };
  parents?: Parent[];
  guardian?: Partial<Record<GuardianFact, boolean>>;
  case?: {
    id?: string;
    departments_involved?: number;
    prior_reports_12m?: number;
    media_attention?: boolean;
    revocation_proposed?: boolean;
    serious_injury?: boolean;
    returning_from_temporary_guardianship?: boolean;
    emergency?: boolean;
  };
  information?: {
    processing_personal_info?: boolean;
    guardian_consent?: boolean;
    disclosure_requested?: boolean;
    disclosure_identifying?: boolean;
    purpose?: "missing_child_search" | "case_handling" | "publicity" | "research" | "other";
  };
}

/** Conclusions of the bundled set that other tools may rely on (CONTRACT.md, "Conclusions"). */
export interface YuexiuConclusions {
  "reporting.duty"?: "mandatory" | "voluntary" | "review" | "none";
  "reporting.situations"?: string[];
  "reporting.late"?: boolean;
  "hotel.suspicious"?: boolean;
  "hotel.violations"?: ("identity_not_verified" | "guardian_contact_not_recorded" | "relationship_not_recorded")[];
  "employment.decision"?: "must_not_hire" | "dismiss" | "hire_permitted" | "query_required" | "review";
  "employment.teacher_qualification_barred"?: boolean;
  "consultation.required"?: boolean;
  "consultation.triggers"?: string[];
  "difficulty.orphan"?: boolean;
  "difficulty.de_facto_unsupported"?: boolean;
  "guardianship.measure"?: "none" | "temporary" | "long_term";
  "guardianship.assessment_due"?: DateString;
  "information.consent_required"?: boolean;
  "information.disclosure_allowed"?: boolean;
  [key: string]: Json | undefined;
}

// ---------------------------------------------------------------- the decision

export type Status = "determined" | "undetermined" | "conflict";

export interface PolicyRef {
  name: string;
  version: string;
  /** `sha256:` and 64 hex digits. */
  digest: string;
}

export interface Obligation {
  /** `<rule id>#<n>`, e.g. `reporting.duty_mandatory#1`. */
  id: string;
  rule: string;
  title: string | null;
  cite: string[];
  action: string;
  actor: string;
  party: string | null;
  /** Canonical: `immediately`, `24 hours`, `5 working days`. */
  deadline: string;
  /** The due time, or null while the trigger time is unknown. */
  due: DateTimeString | null;
  /** Participants (e.g. of a consultation); absent when there are none. */
  with?: string[];
}

export interface Missing {
  /** A fact path; list items are written `parents[1].since`. */
  fact: string;
  /** The conclusion keys and obligation ids it decides. */
  decides: string[];
}

export interface Assumption {
  param: string;
  value: string;
  why: string;
}

export interface Conflict {
  conclusion: string;
  rules: string[];
  values: Json[];
}

export interface TraceFact {
  fact: string;
  value: Json;
}

export interface TraceCondition {
  condition: string;
  value: "true" | "false" | "unknown";
  facts: TraceFact[];
}

export interface TraceRule {
  rule: string;
  title: string | null;
  result: "fired" | "not_fired" | "undecided" | "overridden" | "not_applicable" | "not_in_force";
  conditions: TraceCondition[];
}

/** One decision, equal to JSON.parse of `humiao eval --format json`. */
export interface Decision<C extends { [key: string]: Json | undefined } = Record<string, Json>> {
  policy: PolicyRef;
  case_id: string | null;
  as_of: DateString;
  status: Status;
  obligations: Obligation[];
  conclusions: C;
  undecided: string[];
  /** Present only when status is `conflict`. */
  conflicts?: Conflict[];
  missing: Missing[];
  assumptions: Assumption[];
  notes: string[];
  fired: string[];
  /** The trace of every rule, with `{explain: true}`; else null. */
  trace: TraceRule[] | null;
}

export type YuexiuDecision = Decision<YuexiuConclusions>;

export interface EvaluateOptions {
  /** Include the trace of every rule's conditions (`--explain`). */
  explain?: boolean;
  /** Show `@sensitive` values in the trace (`--reveal-sensitive`). */
  revealSensitive?: boolean;
  /** Unknown fields become notes instead of errors (`--lenient`). */
  lenient?: boolean;
  /** Upper bound on expression nodes evaluated (default 10 000 000). */
  maxSteps?: number;
  /**
   * `false`: the reference evaluator only — the same decision, without building the fast path's
   * program (which a policy's first evaluation otherwise does); for a quick first answer.
   */
  fastPath?: boolean;
}

/** Options of `Policy.loadCases`. */
export interface LoadCasesOptions {
  /** Unknown fields are accepted instead of being errors (`--lenient`). */
  lenient?: boolean;
}

/** What `Policy.evaluateOutcomes` returns: conclusions only, no decisions. */
export interface Outcomes<C, K extends keyof C & string> {
  /** How many cases had every conclusion settled (no missing fact, no conflict). */
  settled: number;
  /** For each key asked, the conclusion's value per case, `null` where it has none or is undecided. */
  conclusions: { [P in K]: (Exclude<C[P], undefined> | null)[] };
}

// ---------------------------------------------------------------- diagnostics and errors

export type Severity = "error" | "warning" | "info";

/** One finding about a policy set; lines and columns are 1-based, columns in characters. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  /** The path inside the set (`reporting.humiao`), `humiao.toml`, `<params>` or empty. */
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  message: string;
  message_zh: string;
  help?: string;
  help_zh?: string;
}

/** One problem with a case's facts. */
export interface FactError {
  code: string;
  /** JSON path, e.g. `minor.age` or `parents[1].since`. */
  path: string;
  expected: string;
  found: string;
  message: string;
  message_zh: string;
}

export interface ParamInfo {
  param: string;
  /** The effective value as text. */
  value: string;
  /** Why the value is an assumption, when it is one. */
  unconfirmed: string | null;
  source: string | null;
  overridden: boolean;
}

/** What `humiao check --format json` prints. */
export interface CheckReport {
  ok: boolean;
  digest: string | null;
  diagnostics: Diagnostic[];
  params: ParamInfo[];
}

export type ErrorKind = "policy" | "facts" | "evaluation" | "plan" | "input";

/** Every failure the package reports; `message` is English, `messageZh` Chinese. */
export class HumiaoError extends Error {
  readonly name: "HumiaoError";
  /** `policy`: the set has errors (see `diagnostics`); `facts`: invalid facts (see `facts`);
   * `evaluation`: stopped (step budget); `plan`: no plan could be made; `input`: a malformed argument. */
  readonly kind: ErrorKind;
  readonly messageZh: string;
  readonly diagnostics: Diagnostic[];
  readonly facts: FactError[];
}

// ---------------------------------------------------------------- tests

export interface TestFailure {
  expectation: string;
  line: number;
  expected: string;
  actual: string;
}

export interface TestResult {
  file: string;
  line: number;
  title: string;
  passed: boolean;
  failures: TestFailure[];
  /** Set when the test could not run at all. */
  error: string | null;
}

/** What `humiao test --format json` prints. */
export interface TestReport {
  passed: number;
  failed: number;
  results: TestResult[];
}

// ---------------------------------------------------------------- plans

export type PlanReason = "never_visited" | "least_recently_visited" | "flagged" | "cycle_completion";

export interface PlanCommunity {
  name: string;
  code: string;
}

export interface Visit {
  street: string;
  street_code: string;
  communities: PlanCommunity[];
  methods: string[];
  reasons: PlanReason[];
  /** `YYYY-MM` of the street's previous visit, null when never visited. */
  last_visited: string | null;
}

export interface PlanMonth {
  /** `YYYY-MM`. */
  month: string;
  visits: Visit[];
}

/** What `humiao plan --format json` prints. */
export interface Plan {
  rotation: string;
  from: string;
  months: PlanMonth[];
  notes: string[];
  notes_zh: string[];
}

export interface PlanOptions {
  /** Past rounds: a plan, its months, or the JSON plan format / CSV `month,street,community` as text. */
  history?: Plan | PlanMonth[] | string;
  /** Streets put into the first month: `{street: reason}` or `[street, reason]` pairs. */
  flags?: Record<string, string> | [string, string][];
}

// ---------------------------------------------------------------- the schema view

export type FactType =
  | { kind: "bool" | "int" | "decimal" | "text" | "date" | "datetime" | "duration" }
  | { kind: "enum" | "set"; enum: string }
  | { kind: "list" | "record"; record: string }
  | { kind: "value_set"; of: FactType };

export interface FactInfo {
  path: string;
  type: FactType;
  optional: boolean;
  default: Json;
  range: [number, number] | null;
  sensitive: boolean;
  label: string | null;
  /** The optional section it belongs to (absent section = not applicable). */
  section: string | null;
}

export interface FieldInfo {
  name: string;
  type: FactType;
  optional: boolean;
  range: [number, number] | null;
  sensitive: boolean;
  label: string | null;
}

export interface Schema {
  name: string;
  version: string;
  digest: string;
  facts: FactInfo[];
  sections: { name: string; label: string | null }[];
  enums: { name: string; label: string | null; values: { name: string; label: string | null }[] }[];
  records: { name: string; fields: FieldInfo[] }[];
  conclusions: { key: string; type: FactType; collect: boolean; label: string | null }[];
  rules: { id: string; title: string | null; cite: string[] }[];
  params: ParamInfo[];
}

export interface Manifest {
  name: string;
  version: string;
  files: string[];
  data: string[];
}

// ---------------------------------------------------------------- the API

/** A checked and compiled policy set, held in WebAssembly memory. */
export class Policy<F extends object = Facts, C extends { [key: string]: Json | undefined } = Record<string, Json>> {
  private constructor();
  /** Checks and compiles a set; throws a HumiaoError (kind `policy`) with every diagnostic. */
  static fromSources<F extends object = Facts, C extends { [key: string]: Json | undefined } = Record<string, Json>>(
    sources: Sources,
    params?: Params,
  ): Policy<F, C>;
  /**
   * Reads a set compiled by `toBytes` with the same engine version, without parsing or
   * checking; throws a HumiaoError (kind `input`) for bytes of another version or damaged ones.
   * In the Node build; the page's web build compiles from sources only, leaves `fromBytes`,
   * `toBytes` and `toEvaluationBytes` out for its size and throws a HumiaoError (kind `input`).
   */
  static fromBytes<F extends object = Facts, C extends { [key: string]: Json | undefined } = Record<string, Json>>(
    bytes: Uint8Array | ArrayBuffer,
  ): Policy<F, C>;
  /** Every diagnostic of a set whether or not it loads, as `humiao check --format json`. */
  static check(sources: Sources, params?: Params): CheckReport;
  /** `humiao.toml`, read by the engine. */
  static readManifest(text: string): Manifest;

  readonly name: string;
  readonly version: string;
  readonly digest: string;
  /** The rotations the set declares. */
  readonly rotations: string[];

  /** The decision for a case as of a date (default: today in +08:00, noted in `notes`). */
  evaluate(facts: F | string, asOf?: DateString, options?: EvaluateOptions): Decision<C>;
  /** The same decision as text, byte for byte the CLI's (without its newline). */
  evaluateJson(facts: F | string, asOf?: DateString, options?: EvaluateOptions): string;
  /**
   * Loads cases ahead of evaluation (an array of facts, or JSON Lines text, blank lines
   * skipped); throws a HumiaoError (kind `facts`) at the first invalid case. In the Node build
   * (and builds with the `batch` feature); the page's web build leaves it out for its size and
   * throws a HumiaoError of kind `input`.
   */
  loadCases(cases: (F | string)[] | string, options?: LoadCasesOptions): Cases;
  /**
   * Evaluate only: every case's conclusions as of `asOf`, without building decisions — the
   * values of the keys asked (none by default), and how many cases settled.
   */
  evaluateOutcomes<K extends keyof C & string = never>(cases: Cases, asOf: DateString, keys?: K[]): Outcomes<C, K>;
  /** Plans `months` months of a rotation from `start` (`YYYY-MM`). */
  plan(rotation: string, start: string, months?: number, options?: PlanOptions): Plan;
  /** The plan as text, byte for byte `humiao plan --format json` (without its newline). */
  planJson(rotation: string, start: string, months?: number, options?: PlanOptions): string;
  /** Warnings and notes from checking (a set with errors does not load). */
  check(): Diagnostic[];
  /** Runs the tests written inside the set's files. */
  runTests(): TestReport;
  /** Declared facts, enums, records, conclusions, rules and params. */
  schema(): Schema;
  /** The checked and compiled set as bytes, for `Policy.fromBytes` (same engine version; Node build). */
  toBytes(): Uint8Array;
  /**
   * Only what evaluation needs (no source texts, tests, rotations or diagnostics), as bytes for
   * `humiao/evaluate`'s `Policy.fromEvaluationBytes` (same engine version; Node build).
   */
  toEvaluationBytes(): Uint8Array;
  /** Frees the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}

/** Cases loaded into WebAssembly memory ahead of evaluation, by `Policy.loadCases`. */
export class Cases {
  private constructor();
  /** The number of cases. */
  readonly length: number;
  /** Frees the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}

/** The bundled Yuexiu set's facts and conclusions: `Policy.fromSources<YuexiuFacts, YuexiuConclusions>(…)`. */
export type YuexiuPolicy = Policy<YuexiuFacts, YuexiuConclusions>;

/** Loads the engine: in the browser fetches the .wasm (optionally from `wasm`); in Node a no-op. */
export function init(
  wasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module | Promise<Response | WebAssembly.Module>,
): Promise<void>;

/** The version of the Rust engine inside. */
export function engineVersion(): string;
