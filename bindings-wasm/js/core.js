// The package's API over the wasm-bindgen modules, shared by the entry points: the whole
// engine (web.js, node.js: `humiao`) and the evaluation-only engine (evaluate-web.js,
// evaluate-node.js: `humiao/evaluate`). Everything crosses into wasm as JSON text, so a decision
// object is JSON.parse of the exact bytes `humiao eval --format json` prints. Types: humiao.d.ts,
// evaluate.d.ts.

// The wasm-bindgen modules (pkg/web or pkg/node; pkg/evaluate-web or pkg/evaluate-node), once
// loaded.
let backend = null;
let evaluateBackend = null;

/** Installs the whole engine's wasm-bindgen module (called once by web.js or node.js). */
export function setBackend(raw) {
  backend = raw;
}

/** Installs the evaluation-only engine's module (called once by evaluate-web.js or evaluate-node.js). */
export function setEvaluateBackend(raw) {
  evaluateBackend = raw;
}

function loaded(b) {
  if (b === null) {
    throw new Error(
      "humiao: the WebAssembly module is not loaded yet; `await init()` first / 请先调用 init() 加载 WebAssembly 模块",
    );
  }
  return b;
}

function wasm() {
  return loaded(backend);
}

/** A policy set that does not load, facts that are invalid, or an evaluation that stopped. */
export class HumiaoError extends Error {
  constructor(failure) {
    super(failure.message);
    this.name = "HumiaoError";
    /** `policy`, `facts`, `evaluation` or `input`. */
    this.kind = failure.kind;
    this.messageZh = failure.message_zh;
    this.diagnostics = failure.diagnostics ?? [];
    this.facts = failure.facts ?? [];
  }
}

// The Rust side throws a failure as JSON text; anything else (a trap) passes through as is.
function rethrow(e) {
  if (typeof e === "string") {
    let failure;
    try {
      failure = JSON.parse(e);
    } catch {
      throw new Error(e);
    }
    throw new HumiaoError(failure);
  }
  throw e;
}

function guarded(f) {
  try {
    return f();
  } catch (e) {
    return rethrow(e);
  }
}

function sourcesJson(sources) {
  if (sources === null || typeof sources !== "object" || Array.isArray(sources)) {
    throw new TypeError("humiao: sources must be an object {path: text} / sources 应为 {路径: 文本} 对象");
  }
  return JSON.stringify(sources);
}

function optionsJson(options) {
  const o = {};
  if (options?.explain !== undefined) o.explain = options.explain;
  if (options?.revealSensitive !== undefined) o.revealSensitive = options.revealSensitive;
  if (options?.lenient !== undefined) o.lenient = options.lenient;
  if (options?.maxSteps !== undefined) o.maxSteps = options.maxSteps;
  if (options?.fastPath !== undefined) o.fastPath = options.fastPath;
  return JSON.stringify(o);
}

const constructing = Symbol("humiao.Policy");

// The wasm handle of each Cases, for Policy.evaluateOutcomes (not reachable from outside).
const casesHandles = new WeakMap();

/** Cases whose facts are loaded into wasm memory ahead of evaluation (`Policy.loadCases`). */
export class Cases {
  constructor(token, handle) {
    if (token !== constructing) {
      throw new TypeError("humiao: use policy.loadCases(...) / 请使用 policy.loadCases(...)");
    }
    casesHandles.set(this, handle);
  }

  /** The number of cases. */
  get length() {
    return handleOfCases(this).length;
  }

  /** Releases the wasm memory now instead of at garbage collection. */
  free() {
    handleOfCases(this).free();
    casesHandles.delete(this);
  }
}

function handleOfCases(cases) {
  const h = casesHandles.get(cases);
  if (h === undefined) {
    throw new TypeError("humiao: not a Cases of policy.loadCases, or already freed / 不是 policy.loadCases 的结果，或已释放");
  }
  return h;
}

// One case as one line of JSON Lines: objects are stringified; text is kept unless it spans
// lines (then re-written on one); blank text becomes `null`, so it fails at its own place.
function caseLine(c) {
  if (typeof c !== "string") return JSON.stringify(c);
  if (c.trim() === "") return "null";
  return /[\r\n]/.test(c) ? JSON.stringify(JSON.parse(c)) : c;
}

// The wasm handle of a policy, for the subclasses (a private field is the base class's only).
let handleOf;

/** What both engines' policies do: name, version, digest, evaluate. */
class Evaluating {
  #handle;

  static {
    handleOf = (p) => p.#handle;
  }

  constructor(token, handle) {
    if (token !== constructing) {
      throw new TypeError("humiao: use Policy.fromSources(...), Policy.fromBytes(...) or (humiao/evaluate) Policy.fromEvaluationBytes(...) / 请使用 Policy.fromSources(...)、Policy.fromBytes(...) 或（humiao/evaluate）Policy.fromEvaluationBytes(...)");
    }
    this.#handle = handle;
  }

  get name() {
    return this.#handle.name;
  }

  get version() {
    return this.#handle.version;
  }

  get digest() {
    return this.#handle.digest;
  }

  /** The decision as JSON text, byte for byte the CLI's (facts: an object or JSON text). */
  evaluateJson(facts, asOf, options) {
    const text = typeof facts === "string" ? facts : JSON.stringify(facts);
    return guarded(() => this.#handle.evaluateJson(text, asOf ?? undefined, Date.now(), optionsJson(options)));
  }

  /** The decision for a case's facts as of a date (YYYY-MM-DD; default today in +08:00). */
  evaluate(facts, asOf, options) {
    return JSON.parse(this.evaluateJson(facts, asOf, options));
  }

  /**
   * Loads cases ahead of evaluation: an array of facts (objects or JSON text) or JSON Lines
   * text. Throws a HumiaoError (kind `facts`, the case's place in the message) at the first
   * invalid case. In the Node build and builds with the `batch` feature; the page's web build
   * leaves it out (kind `input`).
   */
  loadCases(cases, options) {
    let text;
    if (typeof cases === "string") text = cases;
    else if (Array.isArray(cases)) text = cases.map(caseLine).join("\n");
    else throw new TypeError("humiao: cases must be an array or JSON Lines text / cases 应为数组或 JSON Lines 文本");
    const o = options?.lenient !== undefined ? { lenient: options.lenient } : {};
    if (typeof this.#handle.loadCases !== "function") throw lacking("loadCases/evaluateOutcomes", "batch");
    const handle = guarded(() => this.#handle.loadCases(text, JSON.stringify(o)));
    return new Cases(constructing, handle);
  }

  /**
   * Evaluate only: the conclusions of every case of `cases` as of `asOf`, without building
   * decisions. `{settled, conclusions}`: how many cases had every conclusion settled, and for
   * each key asked the values per case (`null` where a case's conclusion has none or is undecided).
   */
  evaluateOutcomes(cases, asOf, keys = []) {
    if (typeof asOf !== "string") {
      throw new TypeError("humiao: asOf must be a date YYYY-MM-DD / asOf 应为 YYYY-MM-DD 日期");
    }
    const h = handleOfCases(cases);
    return JSON.parse(guarded(() => this.#handle.evaluateOutcomes(h, asOf, JSON.stringify(keys))));
  }

  /** Releases the wasm memory now instead of at garbage collection. */
  free() {
    this.#handle.free();
  }
}

function asBytes(bytes) {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(view instanceof Uint8Array)) {
    throw new TypeError("humiao: bytes must be a Uint8Array or an ArrayBuffer / bytes 应为 Uint8Array 或 ArrayBuffer");
  }
  return view;
}

// A function the page's web build leaves out for its size (cargo features `batch`, `bytes`):
// a HumiaoError of kind `input` that says where to find it.
function lacking(what, feature) {
  return new HumiaoError({
    kind: "input",
    message: `this build of humiao has no ${what}: the page's web build leaves it out for its size; use the Node build, or build with the \`${feature}\` feature`,
    message_zh: `此 humiao 构建不含 ${what}（网页构建为控制体积而省略）；请使用 Node 构建，或以 \`${feature}\` 特性构建`,
  });
}

/** A checked and compiled policy set (the whole engine). */
export class Policy extends Evaluating {
  #schema = null;

  /** Checks and compiles `{path: text}`; throws a HumiaoError with `.diagnostics` if it has errors. */
  static fromSources(sources, params = {}) {
    const handle = guarded(() => wasm().PolicyHandle.load(sourcesJson(sources), JSON.stringify(params)));
    return new Policy(constructing, handle);
  }

  /**
   * Reads a set compiled by `toBytes` (same engine version), without parsing or checking. In the
   * Node build (feature `bytes`); the page's web build reads sources only (kind `input`).
   */
  static fromBytes(bytes) {
    const view = asBytes(bytes);
    if (typeof wasm().PolicyHandle.fromBytes !== "function") throw lacking("fromBytes/toBytes", "bytes");
    const handle = guarded(() => wasm().PolicyHandle.fromBytes(view));
    return new Policy(constructing, handle);
  }

  /** Every diagnostic of a set whether or not it loads (`humiao check --format json`). */
  static check(sources, params = {}) {
    return JSON.parse(guarded(() => wasm().checkJson(sourcesJson(sources), JSON.stringify(params))));
  }

  /** `humiao.toml` read by the engine: name, version, files, data. */
  static readManifest(text) {
    return JSON.parse(guarded(() => wasm().manifestJson(text)));
  }

  /** The names of the rotations the set declares. */
  get rotations() {
    return JSON.parse(handleOf(this).rotationsJson());
  }

  /** The plan's JSON text, byte for byte what `humiao plan --format json` prints. */
  planJson(rotation, start, months = 1, options = {}) {
    const args = { rotation, start, months };
    const h = options.history;
    if (h !== undefined && h !== null) args.history = typeof h === "string" ? h : JSON.stringify(h);
    const flags = options.flags;
    if (flags !== undefined && flags !== null) {
      args.flags = Array.isArray(flags) ? flags.map(([s, r]) => [s, r]) : Object.entries(flags);
    }
    return guarded(() => handleOf(this).planJson(JSON.stringify(args)));
  }

  /** Plans `months` months of a rotation from `start` (YYYY-MM), continuing `history`. */
  plan(rotation, start, months = 1, options = {}) {
    return JSON.parse(this.planJson(rotation, start, months, options));
  }

  /** Warnings and notes from checking (a set with errors does not load). */
  check() {
    return JSON.parse(handleOf(this).diagnosticsJson());
  }

  /** Runs the tests written inside the set's files. */
  runTests() {
    return JSON.parse(guarded(() => handleOf(this).runTestsJson()));
  }

  /** Declared facts, enums, records, conclusions, rules and params, for building forms. */
  schema() {
    if (this.#schema === null) {
      this.#schema = JSON.parse(handleOf(this).schemaJson());
    }
    return this.#schema;
  }

  /** The checked and compiled set as bytes, for `Policy.fromBytes` (Node build, feature `bytes`). */
  toBytes() {
    if (typeof handleOf(this).toBytes !== "function") throw lacking("fromBytes/toBytes", "bytes");
    return guarded(() => handleOf(this).toBytes());
  }

  /** What evaluation needs of the set, as bytes for `humiao/evaluate`'s `Policy.fromEvaluationBytes`. */
  toEvaluationBytes() {
    if (typeof handleOf(this).toEvaluationBytes !== "function") throw lacking("toEvaluationBytes", "bytes");
    return guarded(() => handleOf(this).toEvaluationBytes());
  }
}

/** A policy set read by the evaluation-only engine (`humiao/evaluate`): it evaluates, nothing else. */
export class EvaluationPolicy extends Evaluating {
  /** Reads bytes written by `toEvaluationBytes` (same engine version). */
  static fromEvaluationBytes(bytes) {
    const view = asBytes(bytes);
    const handle = guarded(() => loaded(evaluateBackend).PolicyHandle.fromEvaluationBytes(view));
    return new EvaluationPolicy(constructing, handle);
  }
}

/** The version of the Rust engine inside. */
export function engineVersion() {
  return wasm().engineVersion();
}

/** The version of the evaluation-only engine inside. */
export function evaluateEngineVersion() {
  return loaded(evaluateBackend).engineVersion();
}
