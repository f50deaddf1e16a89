// Build step: turns the assembled page (pkg/site: web/, js/ and pkg/web/ as modules) into what is
// served: one index.html holding the style sheet and every module in one script, so the first
// decision waits for no chain of module requests; the evaluation-only .wasm and the set compiled
// for evaluation are fetched by the page's first script, the whole engine's .wasm and the rules'
// texts by the playground when it opens.
//   node tools/bundle-page.mjs pkg/site
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const [site] = process.argv.slice(2);
if (!site) {
  console.error("usage: node tools/bundle-page.mjs SITE_DIR");
  process.exit(2);
}
const result = await build({
  entryPoints: [join(site, "app.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2022",
  write: false,
  logLevel: "warning",
});
const script = result.outputFiles[0].text.replaceAll("</script", "<\\/script");
const style = readFileSync(join(site, "style.css"), "utf8").replaceAll("</style", "<\\/style");
let html = readFileSync(join(site, "index.html"), "utf8");
const replace = (pattern, text) => {
  if (!pattern.test(html)) throw new Error(`index.html: ${pattern} not found`);
  html = html.replace(pattern, () => text);
};
replace(/[ \t]*<link rel="modulepreload"[^>]*>\n/g, "");
replace(/<link rel="stylesheet" href="style.css">/, `<style>\n${style}</style>`);
replace(/<script type="module" src="app.js"><\/script>/, `<script type="module">${script}</script>`);
writeFileSync(join(site, "index.html"), html);
// The modules now inside index.html are not served on their own.
for (const f of ["app.js", "intake.js", "decision.js", "labels.js", "i18n.js", "html.js", "playground.js", "style.css", "bundled-schema.js", "js"]) {
  rmSync(join(site, f), { recursive: true, force: true });
}
for (const engine of ["web", "evaluate-web"]) {
  for (const f of ["humiao_wasm.js", "humiao_wasm.d.ts", "humiao_wasm_bg.wasm.d.ts", ".wasm-opt-input"]) {
    rmSync(join(site, "pkg", engine, f), { force: true });
  }
}
console.log(`${site}/index.html: ${html.length} bytes (style ${style.length}, script ${script.length})`);
