// Node entry point of the evaluation-only engine (`humiao/evaluate`): the `--target nodejs` build
// loads its .wasm synchronously on import.
import { createRequire } from "node:module";
import { setEvaluateBackend } from "./core.js";

const require = createRequire(import.meta.url);
setEvaluateBackend(require("../pkg/evaluate-node/humiao_wasm.js"));

export { EvaluationPolicy as Policy, HumiaoError, evaluateEngineVersion as engineVersion } from "./core.js";

/** Nothing to wait for in Node; kept so code runs unchanged in the browser and in Node. */
export async function init() {}
