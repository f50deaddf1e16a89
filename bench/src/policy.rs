//! The policy of the workload: the files of the bundled set that hold the reporting situations
//! and duty, hotel suspicion and violations, and the consultation trigger, read at run time.
//! consultation.humiao reads `guardian.*` and `guardianship.measure`, declared in
//! guardianship.humiao, so that file comes too.

use std::path::{Path, PathBuf};

/// The workload's files, in the bundled manifest's order.
pub const FILES: [&str; 6] = [
    "common.humiao",
    "calendar.humiao",
    "reporting.humiao",
    "hotel.humiao",
    "consultation.humiao",
    "guardianship.humiao",
];

/// The manifest of the workload's policy: the bundled set's name, only these files.
pub fn manifest() -> String {
    let files: Vec<String> = FILES.iter().map(|f| format!("\"{f}\"")).collect();
    format!(
        "# The files of the bundled set that the benchmark's workload reads (bench/src/policy.rs).\n\
         name = \"yuexiu-workload\"\nversion = \"2026.1\"\nfiles = [{}]\n",
        files.join(", ")
    )
}

/// `rules/` of this repository.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules")
}

/// The workload's sources (manifest included) as (path, text), read from `dir`.
pub fn workload_sources(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = vec![("humiao.toml".to_string(), manifest())];
    for f in FILES {
        let text = std::fs::read_to_string(dir.join(f))
            .map_err(|e| format!("{}: {e}", dir.join(f).display()))?;
        out.push((f.to_string(), text));
    }
    Ok(out)
}

/// Every file of a policy folder (the whole bundled set: manifest, rules, roster) as
/// (path, text), sorted by path.
pub fn folder_sources(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries {
        let path = e.map_err(|e| e.to_string())?.path();
        if !path.is_file() {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push((name, text));
    }
    out.sort();
    Ok(out)
}
