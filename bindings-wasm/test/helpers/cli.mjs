// The reference: the `humiao` CLI. $HUMIAO_CLI names a built binary (scripts/test-wasm builds
// the release one); otherwise `cargo run -q --release -p humiao-cli --`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const repo = fileURLToPath(new URL("../../..", import.meta.url));
export const rulesDir = join(repo, "rules");
export const corpusDir = join(repo, "tests", "conformance");

/** Runs `humiao ARGS` with `input` on stdin; {code, stdout, stderr}. */
export function cli(args, input = "") {
  const [cmd, pre] = process.env.HUMIAO_CLI
    ? [process.env.HUMIAO_CLI, []]
    : ["cargo", ["run", "-q", "--release", "-p", "humiao-cli", "--"]];
  const r = spawnSync(cmd, [...pre, ...args], { cwd: repo, input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `--param k=v` as the CLI reads it: JSON when it parses, else the text. */
export function paramArgs(params = {}) {
  return Object.entries(params).flatMap(([k, v]) => ["--param", `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`]);
}
