// Browser entry point: `await init()` fetches and instantiates the .wasm (streaming when the
// server sends application/wasm), then the classes of core.js work synchronously.
import initWasm, * as raw from "../pkg/web/humiao_wasm.js";
import { setBackend } from "./core.js";

export { Policy, Cases, HumiaoError, engineVersion } from "./core.js";

let loading = null;

/** Loads the engine once; `wasm` overrides where the .wasm comes from (URL, Response, bytes). */
export function init(wasm) {
  if (loading === null) {
    loading = initWasm(wasm === undefined ? undefined : { module_or_path: wasm }).then(() => {
      setBackend(raw);
    });
  }
  return loading;
}
