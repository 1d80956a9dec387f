//! Server configuration: defaults, overridden by a TOML file (`--config`), overridden by
//! environment variables and flags (clap merges those two). Unknown keys in the file are
//! an error, so a typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use junction_domain::sync::automation::AutomationSettings;
use junction_domain::sync::autosync::SyncSettings;
use junction_domain::webhooks::WebhookSettings;
use junction_portal::PortalSettings;
use junction_runtime::SandboxLimits;

/// The contents of the `--config` file. Every key is optional.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The address to serve on; default `127.0.0.1:8080`.
    pub listen: Option<SocketAddr>,
    /// Where the SQLite database, the secret key, the admin token, compiled components and
    /// the plugins live; default `./data`.
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://...`; default SQLite in the data directory. Several
    /// hosts share one PostgreSQL (see docs/deployment.md).
    pub database_url: Option<String>,
    /// Where connector components live; default `<data-dir>/plugins`.
    pub plugins_dir: Option<PathBuf>,
    /// Token for the admin API; default: generated into `<data-dir>/admin.token`.
    pub admin_token: Option<String>,
    /// Base64 32-byte key sealing connection secrets; default: `<data-dir>/secret.key`.
    pub secret_key: Option<String>,
    #[serde(default)]
    pub sandbox: SandboxLimits,
    #[serde(default)]
    pub sync: SyncSettings,
    #[serde(default)]
    pub webhooks: WebhookSettings,
    #[serde(default)]
    pub automations: AutomationSettings,
    #[serde(default)]
    pub portal: PortalSettings,
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
    pub admin_token: Option<String>,
    pub secret_key: Option<String>,
    pub sandbox: SandboxLimits,
    pub sync: SyncSettings,
    pub webhooks: WebhookSettings,
    pub automations: AutomationSettings,
    pub portal: PortalSettings,
}

impl ServerConfig {
    /// Where compiled components are cached.
    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join("cache").join("compiled")
    }

    /// The database URL: configured, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| junction_store::sqlite_url(&self.data_dir))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod portal_table_tests {
    use super::FileConfig;

    #[test]
    fn the_portal_table_sets_secure_cookies_and_refuses_unknown_keys() {
        let auto: FileConfig = toml::from_str("").unwrap();
        assert_eq!(auto.portal.secure_cookies, None);
        let never: FileConfig = toml::from_str("[portal]\nsecure_cookies = false\n").unwrap();
        assert_eq!(never.portal.secure_cookies, Some(false));
        let typo = toml::from_str::<FileConfig>("[portal]\nsecure_cookie = true\n");
        assert!(typo.unwrap_err().to_string().contains("secure_cookie"));
    }
}
