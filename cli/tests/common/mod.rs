//! Helpers shared by the CLI's test files (each `mod common;`).

use std::path::{Path, PathBuf};

/// A test's scratch folder, removed when the test ends (passed or failed).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An empty folder `humiao-{kind}-{name}-{process id}` in the system's temp directory.
pub fn temp_dir(kind: &str, name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("humiao-{kind}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}
