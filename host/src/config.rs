//! Server configuration: defaults, overridden by a TOML file (`--config`), overridden by
//! environment variables and flags (clap merges those two). Unknown keys in the file are
//! an error, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::runtime::SandboxLimits;

/// The contents of the `--config` file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    /// Where connector components live; default `<data-dir>/plugins`.
    pub plugins_dir: Option<PathBuf>,
    #[serde(default)]
    pub sandbox: SandboxLimits,
}

impl FileConfig {
    /// Read and parse a config file; errors name the file and the offending key.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("config file {} is invalid: {e}", path.display()))
    }
}

/// The resolved settings `junction serve` runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub plugins_dir: PathBuf,
    pub sandbox: SandboxLimits,
}

impl ServerConfig {
    /// Where compiled components are cached.
    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join("cache").join("compiled")
    }
}
