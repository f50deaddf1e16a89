// Node entry point: the `--target nodejs` build loads its .wasm synchronously on import.
import { createRequire } from "node:module";
import { setBackend } from "./core.js";

const require = createRequire(import.meta.url);
setBackend(require("../pkg/node/humiao_wasm.js"));

export { Policy, Cases, HumiaoError, engineVersion } from "./core.js";

/** Nothing to wait for in Node; kept so code runs unchanged in the browser and in Node. */
export async function init() {}
