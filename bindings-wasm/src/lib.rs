//! humiao in the browser and in Node: the wasm-bindgen layer under the npm package `humiao`.
//!
//! Everything crosses the boundary as JSON text: sources and facts in, the decision's exact CLI
//! bytes out. The package's JavaScript (`js/core.js`) parses them, so a decision object equals
//! `JSON.parse` of what `humiao eval --format json` prints, and throws a failure as a
//! `HumiaoError`. This crate holds no policy logic: it translates between JSON and
//! `humiao-core`.
//!
//! Two builds: with the default feature `full`, everything (`Policy.fromSources`, checking,
//! tests, plans, the schema view, compiled bytes both ways); without it, the evaluation-only
//! engine (`humiao/evaluate`, the page's first decision): `fromEvaluationBytes` and
//! `evaluateJson`, so the parser, checker, test runner, planner and diagnostics are not in the
//! module at all. (`fromEvaluationBytes` is that engine's only: the whole one reads `fromBytes`.
//! So the feature is not purely additive; nothing depends on this crate but its own tests.)

pub mod api;
#[cfg(feature = "full")]
pub mod schema;

use wasm_bindgen::prelude::*;

/// A checked and compiled policy set, held in wasm memory; `js/core.js` wraps it as `Policy`.
#[wasm_bindgen]
pub struct PolicyHandle {
    inner: humiao_core::Policy,
}

/// Only in the evaluation-only engine: the whole engine reads the whole set (`fromBytes`), and
/// its size budget is nearly spent.
#[cfg(not(feature = "full"))]
#[wasm_bindgen]
impl PolicyHandle {
    /// Reads a set written by `toEvaluationBytes` (the same engine version): only what
    /// evaluation needs. Throws the failure's JSON text when the bytes are of another kind or
    /// version, or damaged.
    #[wasm_bindgen(js_name = fromEvaluationBytes)]
    pub fn from_evaluation_bytes(bytes: &[u8]) -> Result<PolicyHandle, String> {
        api::from_evaluation_bytes(bytes)
            .map(|inner| PolicyHandle { inner })
            .map_err(|f| f.to_json())
    }
}

#[wasm_bindgen]
impl PolicyHandle {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.inner.digest.clone()
    }

    /// The decision's JSON text, byte for byte what the CLI prints (without the newline).
    /// `as_of` absent: today in +08:00 from `now_ms` (the caller's clock).
    #[wasm_bindgen(js_name = evaluateJson)]
    pub fn evaluate_json(
        &self,
        facts_json: &str,
        as_of: Option<String>,
        now_ms: f64,
        options_json: &str,
    ) -> Result<String, String> {
        // Whole seconds since the epoch; `as` saturates on NaN and out-of-range values.
        let now_secs = (now_ms / 1000.0).floor() as i64;
        api::evaluate(
            &self.inner,
            facts_json,
            as_of.as_deref(),
            now_secs,
            options_json,
        )
        .map_err(|f| f.to_json())
    }
}

#[cfg(feature = "full")]
#[wasm_bindgen]
impl PolicyHandle {
    /// Loads `{path: text}` with `{param: value}` overrides; throws the failure's JSON text.
    pub fn load(sources_json: &str, params_json: &str) -> Result<PolicyHandle, String> {
        api::load(sources_json, params_json)
            .map(|inner| PolicyHandle { inner })
            .map_err(|f| f.to_json())
    }

    /// Reads a set compiled by `toBytes` (the same engine version); throws the failure's JSON
    /// text when the bytes are from another version or damaged.
    /// (Feature `bytes`, as are `toBytes` and `toEvaluationBytes`.)
    #[cfg(feature = "bytes")]
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<PolicyHandle, String> {
        api::from_bytes(bytes)
            .map(|inner| PolicyHandle { inner })
            .map_err(|f| f.to_json())
    }

    /// The checked and compiled set as bytes, for `fromBytes`.
    #[cfg(feature = "bytes")]
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        api::to_bytes(&self.inner).map_err(|f| f.to_json())
    }

    /// Only what evaluation needs, as bytes for `fromEvaluationBytes` (the evaluation-only
    /// engine reads them).
    #[cfg(feature = "bytes")]
    #[wasm_bindgen(js_name = toEvaluationBytes)]
    pub fn to_evaluation_bytes(&self) -> Result<Vec<u8>, String> {
        api::to_evaluation_bytes(&self.inner).map_err(|f| f.to_json())
    }

    /// Cases given as JSON Lines, their facts loaded ahead for `evaluateOutcomes`; throws
    /// the failure's JSON text at the first invalid case.
    #[cfg(feature = "batch")]
    #[wasm_bindgen(js_name = loadCases)]
    pub fn load_cases(&self, cases_jsonl: &str, options_json: &str) -> Result<CasesHandle, String> {
        api::load_cases(&self.inner, cases_jsonl, options_json)
            .map(|facts| CasesHandle { facts })
            .map_err(|f| f.to_json())
    }

    /// Evaluate only, no decision built: `{"settled": N, "conclusions": {key: [...]}}` for
    /// the keys asked (a JSON array).
    #[cfg(feature = "batch")]
    #[wasm_bindgen(js_name = evaluateOutcomes)]
    pub fn evaluate_outcomes(
        &self,
        cases: &CasesHandle,
        as_of: &str,
        keys_json: &str,
    ) -> Result<String, String> {
        api::evaluate_outcomes(&self.inner, &cases.facts, as_of, keys_json).map_err(|f| f.to_json())
    }

    /// Warnings and notes from checking, as a JSON array of diagnostics.
    #[wasm_bindgen(js_name = diagnosticsJson)]
    pub fn diagnostics_json(&self) -> String {
        api::diagnostics(&self.inner)
    }

    /// The in-file tests' report, as `humiao test --format json` prints it.
    #[wasm_bindgen(js_name = runTestsJson)]
    pub fn run_tests_json(&self) -> String {
        api::run_tests(&self.inner)
    }

    /// A plan of a rotation the set declares; `args_json` as `api::PlanArgs`.
    #[wasm_bindgen(js_name = planJson)]
    pub fn plan_json(&self, args_json: &str) -> Result<String, String> {
        api::plan(&self.inner, args_json).map_err(|f| f.to_json())
    }

    /// The names of the rotations the set declares, as a JSON array.
    #[wasm_bindgen(js_name = rotationsJson)]
    pub fn rotations_json(&self) -> String {
        api::rotations(&self.inner)
    }

    /// Facts, sections, enums, records, conclusions, rules and params, for building forms.
    #[wasm_bindgen(js_name = schemaJson)]
    pub fn schema_json(&self) -> String {
        schema::schema_json(&self.inner).to_string()
    }
}

/// Cases whose facts are loaded into wasm memory ahead of evaluation; `js/core.js` wraps it as
/// `Cases`. Only with the `batch` feature.
#[cfg(feature = "batch")]
#[wasm_bindgen]
pub struct CasesHandle {
    facts: Vec<humiao_core::Facts>,
}

#[cfg(feature = "batch")]
#[wasm_bindgen]
impl CasesHandle {
    /// The number of cases.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.facts.len()
    }
}

/// Every diagnostic of a set whether or not it loads, as `humiao check --format json`.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = checkJson)]
pub fn check_json(sources_json: &str, params_json: &str) -> Result<String, String> {
    api::check(sources_json, params_json).map_err(|f| f.to_json())
}

/// `humiao.toml` as JSON (`name`, `version`, `files`, `data`), read by the core's manifest type.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = manifestJson)]
pub fn manifest_json(text: &str) -> Result<String, String> {
    api::manifest(text).map_err(|f| f.to_json())
}

/// The version of this package's Rust side.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
