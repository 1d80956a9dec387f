//! A small blocking client for the demo: waiting for the processes to answer, and the
//! Junction admin API calls that provision the demo idempotently (tenant, connection,
//! API key — each reused when it already exists).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use ureq::Agent;

use crate::procs::{Children, StopFlag};

/// A status and a JSON body (`Null` when the body is empty or not JSON).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// The body when the status is one of `ok`, else an error showing the request and body.
    pub fn expect(self, what: &str, ok: &[u16]) -> Result<Value> {
        if ok.contains(&self.status) {
            return Ok(self.body);
        }
        bail!("{what}: HTTP {} {}", self.status, self.body);
    }
}

/// The HTTP client: short timeouts, every status returned as a reply rather than an error.
#[derive(Clone)]
pub struct Http {
    agent: Agent,
}

impl Http {
    pub fn new() -> Self {
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self { agent }
    }

    /// `method url` with `headers` and an optional JSON body.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply> {
        let fail = |e: ureq::Error| anyhow::anyhow!("{method} {url}: {e}");
        let mut response = match (method, body) {
            ("GET", _) => {
                let mut req = self.agent.get(url);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                req.call().map_err(fail)?
            }
            ("POST", body) => {
                let mut req = self.agent.post(url);
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                match body {
                    Some(b) => req.send_json(b).map_err(fail)?,
                    None => req.send_empty().map_err(fail)?,
                }
            }
            _ => bail!("unsupported method {method}"),
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        Ok(Reply { status, body })
    }

    /// Poll `url` until it answers `200`, the children die, a stop is requested or
    /// `timeout` passes.
    pub fn wait_ok(
        &self,
        what: &str,
        url: &str,
        headers: &[(&str, &str)],
        timeout: Duration,
        children: &mut Children,
        stop: &StopFlag,
    ) -> Result<()> {
        let start = Instant::now();
        loop {
            stop.check()?;
            children.check_alive()?;
            let last = match self.send("GET", url, headers, None) {
                Ok(r) if r.status == 200 => return Ok(()),
                Ok(r) => format!("HTTP {} {}", r.status, r.body),
                Err(e) => format!("{e:#}"),
            };
            if start.elapsed() > timeout {
                bail!("the {what} did not answer 200 at {url} within {timeout:?}; last: {last}");
            }
            stop.sleep(Duration::from_millis(200))?;
        }
    }
}

/// What the demo provisions, with the ids the admin API gave them.
pub struct Provisioned {
    pub connection_id: String,
    pub api_key: String,
    /// Whether the key was created now (else reused from the key file).
    pub new_key: bool,
}

/// The Junction admin API at `base` with the admin token.
pub struct Admin<'a> {
    pub http: &'a Http,
    pub base: String,
    pub token: String,
}

impl Admin<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/admin{path}", self.base)
    }

    pub fn get(&self, path: &str) -> Result<Reply> {
        let auth = format!("Bearer {}", self.token);
        self.http
            .send("GET", &self.url(path), &[("Authorization", &auth)], None)
    }

    fn post(&self, path: &str, body: &Value) -> Result<Reply> {
        let auth = format!("Bearer {}", self.token);
        self.http.send(
            "POST",
            &self.url(path),
            &[("Authorization", &auth)],
            Some(body),
        )
    }

    /// Tenant `tenant`, connection `name` of `connector` with `config`, and an API key
    /// stored in `key_file` (0600) — each created only when missing.
    pub fn provision(
        &self,
        tenant: &str,
        connector: &str,
        name: &str,
        config: &Value,
        key_file: &Path,
    ) -> Result<Provisioned> {
        let created = self.post("/tenants", &json!({ "name": tenant }))?;
        if created.status != 409 {
            created.expect("creating the demo tenant", &[200, 201])?;
        }
        let connection_id = match self.find_connection(tenant, name)? {
            Some(id) => id,
            None => {
                let body = json!({
                    "tenant": tenant, "connector": connector, "name": name, "config": config,
                });
                let view = self
                    .post("/connections", &body)?
                    .expect("creating the demo connection", &[200, 201])?;
                view["connection"]["id"]
                    .as_str()
                    .context("the created connection has no id")?
                    .to_string()
            }
        };
        if let Some(key) = self.stored_key(key_file, &connection_id)? {
            return Ok(Provisioned {
                connection_id,
                api_key: key,
                new_key: false,
            });
        }
        let created = self
            .post(
                &format!("/connections/{connection_id}/keys"),
                &json!({ "name": "demo" }),
            )?
            .expect("creating the demo API key", &[200, 201])?;
        let key = created["key"]
            .as_str()
            .context("the API key response has no `key`")?
            .to_string();
        write_private(key_file, &key)?;
        Ok(Provisioned {
            connection_id,
            api_key: key,
            new_key: true,
        })
    }

    /// A connection by name, created when missing; its id.
    pub fn ensure_connection(
        &self,
        tenant: &str,
        connector: &str,
        name: &str,
        config: &Value,
    ) -> Result<String> {
        if let Some(id) = self.find_connection(tenant, name)? {
            return Ok(id);
        }
        let body =
            json!({"tenant": tenant, "connector": connector, "name": name, "config": config});
        let view = self
            .post("/connections", &body)?
            .expect("creating a demo connection", &[200, 201])?;
        Ok(view["connection"]["id"]
            .as_str()
            .context("the created connection has no id")?
            .to_string())
    }

    /// An automation by name (`body` without the tenant), created when missing; its id.
    pub fn ensure_automation(&self, tenant: &str, name: &str, body: Value) -> Result<String> {
        let list = self
            .get(&format!("/automations?tenant={tenant}"))?
            .expect("listing the demo automations", &[200])?;
        if let Some(id) = list["data"].as_array().and_then(|all| {
            all.iter()
                .find(|a| a["name"] == name)
                .and_then(|a| a["id"].as_str().map(str::to_string))
        }) {
            return Ok(id);
        }
        let mut body = body;
        body["tenant"] = json!(tenant);
        body["name"] = json!(name);
        let created = self
            .post("/automations", &body)?
            .expect("creating the demo automation", &[201])?;
        Ok(created["id"]
            .as_str()
            .context("the created automation has no id")?
            .to_string())
    }

    /// A portal user `email` of `tenant` whose password is in `password_file` (0600): reused
    /// when the file exists and the user does, otherwise (re)created with a new random
    /// password. The password.
    pub fn ensure_user(&self, tenant: &str, email: &str, password_file: &Path) -> Result<String> {
        let users = self
            .get(&format!("/users?tenant={tenant}"))?
            .expect("listing the demo tenant's users", &[200])?;
        let existing = users["data"].as_array().and_then(|all| {
            all.iter()
                .find(|u| u["email"] == email)
                .and_then(|u| u["id"].as_str().map(str::to_string))
        });
        let stored = std::fs::read_to_string(password_file).ok();
        match (existing, stored) {
            (Some(_), Some(password)) => return Ok(password.trim().to_string()),
            // The password is lost: start the user afresh.
            (Some(id), None) => {
                let auth = format!("Bearer {}", self.token);
                self.http
                    .send(
                        "DELETE",
                        &self.url(&format!("/users/{id}")),
                        &[("Authorization", &auth)],
                        None,
                    )?
                    .expect("replacing the demo user", &[204])?;
            }
            (None, _) => {}
        }
        let password = random_password()?;
        self.post(
            "/users",
            &json!({"tenant": tenant, "email": email, "password": password}),
        )?
        .expect("creating the demo portal user", &[201])?;
        write_private(password_file, &password)?;
        Ok(password)
    }

    fn find_connection(&self, tenant: &str, name: &str) -> Result<Option<String>> {
        let list = self
            .get(&format!("/connections?tenant={tenant}"))?
            .expect("listing the demo tenant's connections", &[200])?;
        Ok(list["data"].as_array().and_then(|all| {
            all.iter()
                .find(|c| c["name"] == name)
                .and_then(|c| c["id"].as_str().map(str::to_string))
        }))
    }

    /// The key in `key_file` when it still authenticates as `connection_id`.
    fn stored_key(&self, key_file: &Path, connection_id: &str) -> Result<Option<String>> {
        let Ok(key) = std::fs::read_to_string(key_file) else {
            return Ok(None);
        };
        let key = key.trim();
        let me = self.http.send(
            "GET",
            &format!("{}/api/v1/api/me", self.base),
            &[("X-API-KEY", key)],
            None,
        )?;
        Ok((me.status == 200 && me.body["connectionId"] == connection_id).then(|| key.to_string()))
    }
}

/// 16 random bytes from the OS, hex: a password nobody has to choose.
fn random_password() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Write `text` to `path` readable by the owner only.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
