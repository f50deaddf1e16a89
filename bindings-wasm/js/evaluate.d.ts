// Types of `humiao/evaluate` (browser: js/evaluate-web.js, Node: js/evaluate-node.js): the
// evaluation-only engine. It reads what the whole engine's `toEvaluationBytes()` wrote and
// evaluates; decisions, options and errors are those of `humiao` (humiao.d.ts).
import type { DateString, Decision, EvaluateOptions, Facts, Json, YuexiuConclusions, YuexiuFacts } from "./humiao.js";

export type * from "./humiao.js";
export { HumiaoError } from "./humiao.js";

/** A policy set read from evaluation bytes: it evaluates cases, nothing else. */
export class Policy<F extends object = Facts, C extends { [key: string]: Json | undefined } = Record<string, Json>> {
  private constructor();
  /**
   * Reads bytes written by `humiao`'s `policy.toEvaluationBytes()` with the same engine version;
   * throws a HumiaoError (kind `input`) for bytes of another kind or version, or damaged ones.
   */
  static fromEvaluationBytes<F extends object = Facts, C extends { [key: string]: Json | undefined } = Record<string, Json>>(
    bytes: Uint8Array | ArrayBuffer,
  ): Policy<F, C>;

  readonly name: string;
  readonly version: string;
  readonly digest: string;

  /** The decision for a case as of a date (default: today in +08:00, noted in `notes`). */
  evaluate(facts: F | string, asOf?: DateString, options?: EvaluateOptions): Decision<C>;
  /** The same decision as text, byte for byte the CLI's (without its newline). */
  evaluateJson(facts: F | string, asOf?: DateString, options?: EvaluateOptions): string;
  /** Frees the WebAssembly memory now rather than at garbage collection. */
  free(): void;
}

/** The bundled Yuexiu set for evaluation: `Policy.fromEvaluationBytes<YuexiuFacts, YuexiuConclusions>(…)`. */
export type YuexiuEvaluationPolicy = Policy<YuexiuFacts, YuexiuConclusions>;

/** Loads the engine: in the browser fetches the .wasm (optionally from `wasm`); in Node a no-op. */
export function init(
  wasm?: string | URL | Request | Response | BufferSource | WebAssembly.Module | Promise<Response | WebAssembly.Module>,
): Promise<void>;

/** The version of the Rust engine inside. */
export function engineVersion(): string;
