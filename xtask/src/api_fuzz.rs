//! Schemathesis (PyPI, pinned) against the served OpenAPI document: property-based requests
//! to every operation of the Runtime API (with an API key) and of the admin API (with the
//! admin token), checking that no response is a 5xx, that every status code, content type,
//! header and body matches what the document says. Installed by the project into
//! `target/tools/schemathesis` (a venv), never by hand; run by `cargo xtask test` against
//! the smoke demo (a real server with a synced WooCommerce connection).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const VERSION: &str = "4.32.5";

/// What the run asserts: the "no 5xx, no response that violates the schema", plus
/// the status codes, content types and headers the document promises.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,response_headers_conformance";

/// Test cases per operation and the seed, so a failure reproduces.
const MAX_EXAMPLES: &str = "50";
const SEED: &str = "20261123";

/// Install schemathesis (once) and return its executable.
pub fn install(target: &Path) -> Result<PathBuf> {
    let venv = target.join("tools").join("schemathesis");
    let exe = venv.join("bin").join("schemathesis");
    let installed = Command::new(&exe)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(VERSION))
        .unwrap_or(false);
    if installed {
        return Ok(exe);
    }
    eprintln!(
        "xtask: installing schemathesis {VERSION} into {}",
        venv.display()
    );
    crate::run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    crate::run(
        Command::new(venv.join("bin").join("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={VERSION}")),
    )?;
    Ok(exe)
}

/// Run schemathesis against a live server: the Runtime API with `api_key`, the admin API
/// with `admin_token`. Reports (JUnit) go to `report_dir`.
pub fn run(
    exe: &Path,
    base: &str,
    api_key: &str,
    admin_token: &str,
    report_dir: &Path,
) -> Result<()> {
    let schema = format!("{base}/api/v1/openapi.json");
    let runs = [
        ("runtime", "^/api/v1/api/", format!("X-API-KEY: {api_key}")),
        (
            "admin",
            "^/api/v1/admin/",
            format!("Authorization: Bearer {admin_token}"),
        ),
    ];
    let mut failed = Vec::new();
    for (name, paths, header) in runs {
        println!("schemathesis: the {name} API ({paths})");
        let status = Command::new(exe)
            // It keeps state in `.schemathesis/` under its working directory.
            .current_dir(report_dir)
            .args(["run", &schema, "--no-color", "--workers", "1"])
            .args([
                "--checks",
                CHECKS,
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
            ])
            .args(["--include-path-regex", paths, "--header", &header])
            .args(["--report", "junit", "--report-junit-path"])
            .arg(report_dir.join(format!("schemathesis-{name}.xml")))
            .args(["--generation-database", "none"])
            .status()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        if !status.success() {
            failed.push(name);
        }
    }
    if !failed.is_empty() {
        bail!(
            "schemathesis found problems in the {} API (see the output above; reports in {})",
            failed.join(" and "),
            report_dir.display()
        );
    }
    println!("schemathesis: both APIs conform to the served OpenAPI document");
    Ok(())
}
