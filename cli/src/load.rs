//! Reads a policy folder: `humiao.toml`, every `*.humiao` file in it, and the data files the
//! manifest names. Nothing outside the folder is read: names with `..`, absolute paths and
//! symbolic links that lead out of the folder are refused.

use humiao_core::Source;
use std::path::{Component, Path};

pub fn read_policy_dir(dir: &Path) -> Result<Vec<Source>, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e} / 无法打开政策文件夹", dir.display()))?;
    if !root.is_dir() {
        return Err(format!("{} is not a folder / 不是文件夹", dir.display()));
    }
    let mut names: Vec<String> = Vec::new();
    let entries = std::fs::read_dir(&root).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".humiao") || name == "humiao.toml" {
            names.push(name);
        }
    }
    names.sort();
    let mut sources = Vec::new();
    for name in &names {
        sources.push(read_inside(&root, name)?);
    }
    // Data files named by the manifest.
    if let Some(m) = sources.iter().find(|s| s.path == "humiao.toml") {
        if let Ok(v) = m.text.parse::<toml::Table>() {
            if let Some(toml::Value::Array(data)) = v.get("data") {
                let data: Vec<String> = data
                    .iter()
                    .filter_map(|d| d.as_str().map(|s| s.to_string()))
                    .collect();
                for d in data {
                    sources.push(read_inside(&root, &d)?);
                }
            }
        }
    }
    Ok(sources)
}

/// Reads `rel` under `root`, refusing any path that resolves outside it.
fn read_inside(root: &Path, rel: &str) -> Result<Source, String> {
    let p = Path::new(rel);
    if p.is_absolute()
        || p.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::Prefix(_) | Component::RootDir
            )
        })
    {
        return Err(format!("`{rel}` leaves the policy folder; only files inside it are read / `{rel}` 超出政策文件夹"));
    }
    let full = root.join(p);
    let real = full
        .canonicalize()
        .map_err(|e| format!("{rel}: {e} / 无法读取"))?;
    if !real.starts_with(root) {
        return Err(format!("`{rel}` is a link that leads out of the policy folder; refused / `{rel}` 是指向政策文件夹以外的链接，已拒绝"));
    }
    let bytes = std::fs::read(&real).map_err(|e| format!("{rel}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // Where it stops being UTF-8, as line and column of the text before it; a file saved
        // as GBK/GB18030 (Chinese Windows' default) is the usual cause.
        let good = e.as_bytes().get(..e.utf8_error().valid_up_to()).unwrap_or(&[]);
        let good = String::from_utf8_lossy(good);
        let line = good.matches('\n').count() + 1;
        let col = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!(
            "{rel}:{line}:{col}: the file is not UTF-8 text (saved as GBK/GB18030?); save it as UTF-8 and check again / {rel}:{line}:{col}：文件不是 UTF-8 编码（可能保存成了 GBK/GB18030），请另存为 UTF-8 后再检查"
        )
    })?;
    Ok(Source::new(rel, text))
}

/// Writes a file without ever leaving it half-written: a temporary file beside it, synced,
/// then renamed over the target. An interrupted write leaves the old file intact.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.humiao-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
