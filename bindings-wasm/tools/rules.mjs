// Reads a policy folder the way the CLI does (cli/src/load.rs): humiao.toml, every *.humiao
// file in it, and the data files the manifest names (read by the engine's own manifest type).
// Used by the page's build step and by the Node tests, so both see exactly the CLI's set.
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";
import { Policy } from "../js/node.js";

function readInside(root, rel) {
  const n = normalize(rel);
  if (isAbsolute(rel) || n.split(sep).includes("..")) {
    throw new Error(`\`${rel}\` leaves the policy folder; only files inside it are read`);
  }
  const real = realpathSync(join(root, n));
  if (!real.startsWith(root + sep)) {
    throw new Error(`\`${rel}\` is a link that leads out of the policy folder; refused`);
  }
  return readFileSync(real, "utf8");
}

/** `{path: text}` for the policy set in `dir`, in the CLI's order. */
export function readPolicyDir(dir) {
  const root = realpathSync(dir);
  const names = readdirSync(root)
    .filter((n) => n.endsWith(".humiao") || n === "humiao.toml")
    .sort();
  const sources = {};
  for (const n of names) sources[n] = readInside(root, n);
  if (sources["humiao.toml"] !== undefined) {
    for (const d of Policy.readManifest(sources["humiao.toml"]).data) {
      sources[d] = readInside(root, d);
    }
  }
  return sources;
}
