//! Shared by the fuzz targets: the bundled policy set (`rules/`), read once from disk.
//!
//! The targets must never panic, hang or grow without bound on any input; every property
//! they assert beyond that (determinism, JSON round trips, the planner's guarantees) is a
//! promise of `docs/security.md`.

use humiao_core::{LoadOptions, Policy, Source};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The repository's `rules/` folder.
pub fn rules_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules"))
}

/// Every file of the bundled set: `humiao.toml`, the `.humiao` files and the roster CSV.
pub fn rules_sources() -> &'static [Source] {
    static SOURCES: OnceLock<Vec<Source>> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let dir = rules_dir();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| {
                        n.ends_with(".humiao") || n.ends_with(".toml") || n.ends_with(".csv")
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .filter_map(|n| {
                let text = std::fs::read_to_string(dir.join(&n)).ok()?;
                Some(Source::new(n, text))
            })
            .collect()
    })
}

/// `rules/common.humiao`: the shared schema, enums and definitions.
pub fn common_source() -> Source {
    rules_sources()
        .iter()
        .find(|s| s.path == "common.humiao")
        .cloned()
        .unwrap_or_else(|| Source::new("common.humiao", ""))
}

/// The bundled policy set, checked and compiled once.
pub fn bundled_policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(
        || match Policy::from_sources(rules_sources(), &LoadOptions::default()) {
            Ok(p) => p,
            Err(e) => panic!("rules/ must load for the fuzz targets: {e:?}"),
        },
    )
}
