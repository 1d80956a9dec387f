//! Real external systems the tests run against, installed from the package registries into
//! `target/realsys/` by the project itself (never by hand): a Vendure shop (npm) and a
//! Tryton ERP (PyPI). Installation is idempotent and skipped when already done; the tests
//! start and stop the servers themselves (see `tests/e2e/realsys/`).

use std::path::{Path, PathBuf};

use anyhow::Result;

mod tryton;
mod vendure;

/// Where the real systems are installed; exported to tests as `JUNCTION_REALSYS_DIR`.
pub fn dir(target: &Path) -> PathBuf {
    target.join("realsys")
}

/// Install every real system the tests need.
pub fn install_all(target: &Path) -> Result<()> {
    let dir = dir(target);
    std::fs::create_dir_all(&dir)?;
    vendure::install(&dir)?;
    tryton::install(&dir)?;
    Ok(())
}
