//! Writing `fluxgen.yaml` (what `init` and `import` write): atomically, as a temporary file in
//! the same directory renamed into place, so a full disk or a killed run leaves the old file
//! or the new one, never a fragment; and never over an existing file unless asked.

use std::io::Write as _;
use std::path::Path;

use crate::Error;

/// Writes `text` to `path` atomically. With `replace` false an existing file (or link) at `path`
/// is an error and is left as it is; with `replace` true it is replaced whole (a link itself
/// is replaced, never written through).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("fluxgen.yaml");
/// fluxgen_core::config::write_config_file(&path, "a: 1\n", false)?;
/// assert!(fluxgen_core::config::write_config_file(&path, "a: 2\n", false).is_err());
/// fluxgen_core::config::write_config_file(&path, "a: 2\n", true)?;
/// assert_eq!(std::fs::read_to_string(&path)?, "a: 2\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_config_file(path: &Path, text: &str, replace: bool) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(".fluxgen-config-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(failed)?;
    temporary.write_all(text.as_bytes()).map_err(failed)?;
    temporary.as_file().sync_all().map_err(failed)?;
    if replace {
        temporary.persist(path).map_err(|error| failed(error.error))?;
    } else {
        temporary.persist_noclobber(path).map_err(|error| failed(error.error))?;
    }
    Ok(())
}
