// Browser entry point of the evaluation-only engine (`humiao/evaluate`): `await init()` fetches
// and instantiates its .wasm (a few times smaller than the whole engine's: no parser, checker,
// test runner or planner), then `Policy.fromEvaluationBytes` reads a set written by the whole
// engine's `toEvaluationBytes()` and evaluates cases synchronously.
import initWasm, * as raw from "../pkg/evaluate-web/humiao_wasm.js";
import { setEvaluateBackend } from "./core.js";

export { EvaluationPolicy as Policy, HumiaoError, evaluateEngineVersion as engineVersion } from "./core.js";

let loading = null;

/** Loads the engine once; `wasm` overrides where the .wasm comes from (URL, Response, bytes, module). */
export function init(wasm) {
  if (loading === null) {
    loading = initWasm(wasm === undefined ? undefined : { module_or_path: wasm }).then(() => {
      setEvaluateBackend(raw);
    });
  }
  return loading;
}
