//! `cargo xtask tidy`: the documentation may not name what does not exist. Every inline code
//! span of the Markdown files (README, ARCHITECTURE, docs/, the SDK guides) that looks like
//! a path in the repository must exist, and every one that looks like a Rust item path
//! (`Store::claim_due_jobs`, `domain::connections::sync_now`) must name an item the
//! workspace defines: its last segment defined as a function, type, constant, module or
//! variant, and the segment before it as a type, trait, module, file or crate. Spans that
//! start with an outside crate (`sqlx::`, `std::`, ...) are not checked. (rust-analyzer's
//! `tidy` test is the model: a cheap check that keeps prose honest.)
//!
//! It also keeps one layering rule the crate graph cannot: the front ends (`crates/api`,
//! `crates/portal`) never call a store method that writes (one whose SQL inserts, updates or
//! deletes) — every write goes through the domain, where its rules are.
//!
//! And it holds each crate's `Cargo.toml` to ARCHITECTURE.md's never-list: a dependency the
//! list forbids (sqlx in the runtime, wasmtime in the store, the portal in the API...) fails
//! here, so the compiler's enforcement cannot be undone by one added line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// Top-level folders a path in the docs may start with.
const TOP_LEVEL: &[&str] = &[
    "host", "crates", "wit", "plugins", "sdk", "tests", "xtask", "docs", "benches", ".ci",
];

/// Run the check from the repository root; fails listing every stale reference.
pub fn run(root: &Path) -> Result<()> {
    let docs = markdown_files(root);
    let sources = rust_sources(root);
    let definitions = Definitions::collect(&sources);
    let outside = outside_crates(root);
    let mut problems = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc)?;
        for span in code_spans(&text) {
            if let Some(problem) = check_span(root, &span, &definitions, &outside) {
                problems.push(format!(
                    "{}: `{span}`: {problem}",
                    doc.strip_prefix(root).unwrap_or(doc).display()
                ));
            }
        }
    }
    problems.extend(front_end_writes(root));
    problems.extend(forbidden_dependencies(root)?);
    eprintln!(
        "xtask: tidy checked {} Markdown files against {} Rust files",
        docs.len(),
        sources.len()
    );
    if problems.is_empty() {
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    bail!(
        "{} tidy problems (stale documentation or broken layering)",
        problems.len()
    )
}

/// What each host crate may never depend on directly (ARCHITECTURE.md, "Never").
const NEVER: &[(&str, &[&str])] = &[
    (
        "crates/contract",
        &[
            "wasmtime-wasi",
            "wasmtime-wasi-http",
            "sqlx",
            "axum",
            "utoipa",
            "askama",
            "hyper",
            "reqwest",
            "junction-runtime",
            "junction-store",
            "junction-domain",
            "junction-api",
            "junction-portal",
        ],
    ),
    (
        "crates/runtime",
        &[
            "sqlx",
            "axum",
            "utoipa",
            "askama",
            "junction-store",
            "junction-domain",
            "junction-api",
            "junction-portal",
        ],
    ),
    (
        "crates/store",
        &[
            "wasmtime",
            "wasmtime-wasi",
            "wasmtime-wasi-http",
            "axum",
            "utoipa",
            "askama",
            "junction-runtime",
            "junction-domain",
            "junction-api",
            "junction-portal",
        ],
    ),
    (
        "crates/domain",
        &[
            "sqlx",
            "wasmtime",
            "axum",
            "askama",
            "junction-api",
            "junction-portal",
        ],
    ),
    (
        "crates/api",
        &["sqlx", "wasmtime", "askama", "multer", "junction-portal"],
    ),
    (
        "crates/portal",
        &["sqlx", "wasmtime", "utoipa", "junction-api"],
    ),
    (
        "crates/conformance",
        &[
            "sqlx",
            "axum",
            "junction-store",
            "junction-domain",
            "junction-api",
            "junction-portal",
            "junction-emulators",
        ],
    ),
    (
        "crates/fault-proxy",
        &["wasmtime", "sqlx", "junction-runtime", "junction-emulators"],
    ),
];

/// Direct dependencies a crate's `Cargo.toml` names against `NEVER`. (Dev-dependencies are
/// the tests' business: a portal test may seed rows with SQL.)
fn forbidden_dependencies(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (crate_dir, never) in NEVER {
        let manifest = root.join(crate_dir).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)?;
        for name in dependency_names(&text) {
            if never.contains(&name.as_str()) {
                problems.push(format!(
                    "{crate_dir}/Cargo.toml depends on `{name}`, which ARCHITECTURE.md's never-list forbids there"
                ));
            }
        }
    }
    Ok(problems)
}

/// The names a manifest's normal and build dependency tables list (`name = ...` or
/// `name.workspace = true`).
fn dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            let table = line.trim_matches(['[', ']']);
            in_dependencies = table == "dependencies" || table == "build-dependencies";
            continue;
        }
        if !in_dependencies || line.starts_with('#') || line.is_empty() {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// Calls from the front ends (outside their tests) of store methods that write.
fn front_end_writes(root: &Path) -> Vec<String> {
    let mut writes = BTreeSet::new();
    let mut store_files = Vec::new();
    walk(&root.join("crates/store/src"), &mut |p| {
        store_files.push(p.to_path_buf())
    });
    for file in &store_files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        // Each public method's body runs until the next `pub` item of the impl.
        let mut current: Option<String> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed
                .strip_prefix("pub async fn ")
                .or_else(|| trimmed.strip_prefix("pub fn "))
            {
                current = Some(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                );
            } else if trimmed.starts_with("fn ")
                || trimmed.starts_with("async fn ")
                || trimmed.starts_with("pub(crate) ")
                || trimmed.starts_with("impl ")
            {
                // A private helper or another impl: its SQL is not the last method's.
                current = None;
            }
            if let Some(name) = &current
                && ["INSERT ", "UPDATE ", "DELETE "]
                    .iter()
                    .any(|k| line.contains(k))
            {
                writes.insert(name.clone());
            }
        }
    }
    let mut problems = Vec::new();
    for dir in ["crates/api/src", "crates/portal/src"] {
        let mut files = Vec::new();
        walk(&root.join(dir), &mut |p| files.push(p.to_path_buf()));
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let flat: String = code.split_whitespace().collect::<Vec<_>>().join("");
            for method in &writes {
                if flat.contains(&format!("store.{method}(")) {
                    problems.push(format!(
                        "{}: calls the store's writing method `{method}`: write through the domain",
                        file.strip_prefix(root).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    problems
}

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in ["docs", "sdk", "plugins"] {
        walk(&root.join(dir), &mut |p| {
            if p.extension().is_some_and(|e| e == "md")
                && !p.components().any(|c| c.as_os_str() == "node_modules")
            {
                files.push(p.to_path_buf());
            }
        });
    }
    files.retain(|f| f.exists());
    files
}

fn rust_sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "crates", "host", "xtask", "sdk", "plugins", "tests", "benches",
    ] {
        walk(&root.join(dir), &mut |p| {
            if p.extension().is_some_and(|e| e == "rs") {
                files.push(p.to_path_buf());
            }
        });
    }
    files
}

fn walk(dir: &Path, found: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, found);
        } else {
            found(&path);
        }
    }
}

/// The contents of every `inline code` span (fenced blocks are skipped).
fn code_spans(text: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else {
                break;
            };
            spans.push(after[..end].to_string());
            rest = &after[end + 1..];
        }
    }
    spans
}

/// The names the workspace defines, by kind.
struct Definitions {
    /// Functions, constants, statics, fields-less items: anything a path may end with.
    items: BTreeSet<String>,
    /// Types, traits and modules (and file stems): what a path may go through.
    owners: BTreeSet<String>,
}

impl Definitions {
    fn collect(sources: &[PathBuf]) -> Self {
        let mut items = BTreeSet::new();
        let mut owners = BTreeSet::new();
        let keywords = [
            ("fn ", false),
            ("const ", false),
            ("static ", false),
            ("struct ", true),
            ("enum ", true),
            ("trait ", true),
            ("type ", true),
            ("mod ", true),
            ("macro_rules! ", false),
        ];
        for file in sources {
            if let Some(stem) = file.file_stem() {
                owners.insert(stem.to_string_lossy().into_owned());
            }
            if let Some(dir) = file.parent().and_then(Path::file_name) {
                owners.insert(dir.to_string_lossy().into_owned());
            }
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let mut in_enum = false;
            for line in text.lines() {
                let trimmed = line.trim_start();
                let code = trimmed
                    .trim_start_matches("pub(crate) ")
                    .trim_start_matches("pub(super) ")
                    .trim_start_matches("pub ")
                    .trim_start_matches("async ")
                    .trim_start_matches("unsafe ");
                for (keyword, owner) in keywords {
                    if let Some(rest) = code.strip_prefix(keyword) {
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            items.insert(name.clone());
                            if owner {
                                owners.insert(name);
                            }
                        }
                    }
                }
                if code.starts_with("enum ") {
                    in_enum = true;
                } else if in_enum {
                    if trimmed.starts_with('}') && !line.starts_with("    ") {
                        in_enum = false;
                    } else {
                        let variant: String = trimmed
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if variant.chars().next().is_some_and(char::is_uppercase) {
                            items.insert(variant);
                        }
                    }
                }
            }
        }
        // The workspace's own crates, as `junction_store::...`.
        for krate in [
            "junction",
            "junction_contract",
            "junction_runtime",
            "junction_store",
            "junction_domain",
            "junction_api",
            "junction_portal",
            "junction_sdk",
            "junction_emulators",
            "crate",
            "self",
            "super",
        ] {
            owners.insert(krate.to_string());
        }
        Self { items, owners }
    }
}

/// Names of the outside crates the workspace depends on (from Cargo.lock), `-` as `_`.
fn outside_crates(root: &Path) -> BTreeSet<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut names: BTreeSet<String> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"').replace('-', "_"))
        .filter(|n| !n.starts_with("junction"))
        .collect();
    for std_crate in ["std", "core", "alloc"] {
        names.insert(std_crate.into());
    }
    names
}

fn check_span(
    root: &Path,
    span: &str,
    definitions: &Definitions,
    outside: &BTreeSet<String>,
) -> Option<String> {
    let span = span.trim();
    if looks_like_path(span) {
        let clean = span.trim_end_matches('/');
        return (!root.join(clean).exists()).then(|| "no such path in the repository".into());
    }
    let item = span.trim_end_matches("()");
    if looks_like_item_path(item) {
        let segments: Vec<&str> = item.split("::").collect();
        if outside.contains(segments[0]) && !definitions.owners.contains(segments[0]) {
            return None;
        }
        let last = segments[segments.len() - 1];
        let owner = segments[segments.len() - 2];
        if !definitions.owners.contains(owner) {
            return Some(format!(
                "`{owner}` is no type, trait, module or crate of the workspace"
            ));
        }
        if !definitions.items.contains(last) && !definitions.owners.contains(last) {
            return Some(format!("`{last}` is defined nowhere in the workspace"));
        }
    }
    None
}

/// `crates/store/src/lib.rs`, `docs/`, `tests/e2e/servers/`: a relative path under a
/// top-level folder (no spaces, globs or placeholders).
fn looks_like_path(span: &str) -> bool {
    let Some((first, _)) = span.split_once('/') else {
        return false;
    };
    TOP_LEVEL.contains(&first) && !span.contains([' ', '*', '<', '>', '{', '}', '$', '?', '='])
}

/// `A::b`, `module::Type::function`: identifiers joined by `::`, nothing else.
fn looks_like_item_path(span: &str) -> bool {
    let segments: Vec<&str> = span.split("::").collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.chars().all(|c| c.is_alphanumeric() || c == '_')
                && s.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dependency_names_are_read_from_the_normal_and_build_tables() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\nserde.workspace = true\n\
                        # a comment\nsqlx = { version = \"0.8\" }\n[lints]\nworkspace = true\n\
                        [dev-dependencies]\ntempfile = \"3\"\n[build-dependencies]\ncc = \"1\"\n";
        assert_eq!(dependency_names(manifest), ["serde", "sqlx", "cc"]);
    }

    #[test]
    fn the_crates_keep_their_never_list() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(forbidden_dependencies(&root).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn spans_that_look_like_paths_and_items_are_told_apart() {
        assert!(looks_like_path("crates/store/src/lib.rs"));
        assert!(looks_like_path("docs/"));
        assert!(!looks_like_path("target/plugins/<name>.wasm"));
        assert!(!looks_like_path("a/b"));
        assert!(looks_like_item_path("Store::claim_due_jobs"));
        assert!(looks_like_item_path("domain::connections::sync_now"));
        assert!(!looks_like_item_path("wasi:http/outgoing-handler"));
        assert!(!looks_like_item_path("jct_live_"));
        assert!(!looks_like_item_path("a::b c"));
    }

    #[test]
    fn inline_spans_outside_fences_are_read() {
        let text = "A `one` and `two`.\n```\n`not`\n```\nthen `three`";
        assert_eq!(code_spans(text), vec!["one", "two", "three"]);
    }
}
