//! The connector conformance suite (issue 4, item 6): given a component and a system to
//! talk to (a [`Subject`]), check through the real runtime, with the system behind a
//! fault-injecting proxy, that the connector keeps the contract:
//!
//! - manifest: it loads (the runtime validates it), declares exactly the subject's
//!   resources and writes, its config schema is a JSON Schema accepting the subject's
//!   config, and its secret fields are `writeOnly`;
//! - paging: every resource pages to the end with the subject's page size, over at least
//!   two pages, without duplicates or gaps, and the cursor runs out;
//! - updated-since: a record touched upstream comes back, untouched ones do not (when the
//!   system's clock separates them);
//! - changes between pages: a record touched while a listing walks its pages loses nothing
//!   (no other record is skipped, the touched one is there);
//! - get: an existing record comes back as itself; a missing id is `not-found`;
//! - deletion (last, it destroys), as the manifest declares it: a record deleted upstream
//!   leaves a full listing and an ids-only scan (which lists exactly what the full listing
//!   lists) and its `get` is `not-found` — what the host's reconciliation relies on; a
//!   resource declared `reported` reports it in `page.deleted` of an incremental listing;
//!   one declared never deleted is skipped;
//! - errors: refused credentials and an injected 401 are `unauthorized`, 429 is
//!   `rate-limited` with the `Retry-After` wait, 500 is `upstream` 500, a stalled answer is
//!   `transport`;
//! - writes: every declared write has a case, succeeds, and its effect is in the system;
//! - batch writes: every declared write also works through `write-batch`, in one batch of
//!   at least two ops (other values than the single writes'), one outcome per op in order,
//!   each effect read back from the system.
//!
//! Every assertion message starts with `[<component>] <check>:`. Each connector adds a
//! subject module here (one `pub mod` line) and one test in `tests/e2e/conformance.rs`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod bugalou;
pub mod catalog_py;
pub mod connectif;
pub mod feed_js;
pub mod hello_feed;
pub mod shopify;
pub mod tryton;
pub mod vendure;
pub mod woocommerce;

mod checks;

use std::collections::BTreeSet;

pub use junction::runtime::types::{ResourceKind, WriteKind, WriteOp};

pub type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
/// Builds a config for a given origin.
pub type ConfigFn = Box<dyn Fn(&str) -> serde_json::Value + Send + Sync>;
/// Changes one record of a resource upstream; returns its id.
pub type TouchFn = Box<dyn Fn(ResourceKind) -> BoxFut<anyhow::Result<String>> + Send + Sync>;
/// Deletes one record of a resource upstream (the id given), as the system's users would.
pub type DeleteFn = Box<dyn Fn(ResourceKind, String) -> BoxFut<anyhow::Result<()>> + Send + Sync>;

/// Creates a record upstream; returns its id.
pub type CreateFn = Box<dyn Fn() -> BoxFut<anyhow::Result<String>> + Send + Sync>;

/// How the suite deletes a record upstream: which resource, and the function that does it.
pub struct Deletion {
    pub resource: ResourceKind,
    /// Makes a fresh record to delete, for a system that refuses to delete records others
    /// refer to (a Tryton party with sales); `None`: the last record listed is deleted.
    pub victim: Option<CreateFn>,
    pub delete: DeleteFn,
}

/// The ids one resource holds in the system (for variations: under `parent_id`).
pub struct Expected {
    pub resource: ResourceKind,
    pub parent_id: Option<String>,
    pub ids: BTreeSet<String>,
}

/// One write to perform, and how to check its effect in the system.
pub struct WriteCase {
    pub op: WriteOp,
    /// Reads the effect back from the system directly (not through the connector).
    pub verify: Box<dyn Fn() -> BoxFut<anyhow::Result<()>> + Send + Sync>,
}

/// A connector and the system it talks to.
pub struct Subject {
    /// The component name: `target/plugins/<component>.wasm`.
    pub component: String,
    /// The origin of the system, e.g. `http://127.0.0.1:PORT`. The suite puts a proxy in
    /// front of it and hands the proxy's origin to `config`.
    pub upstream: String,
    /// A working config for a given origin.
    pub config: ConfigFn,
    /// A config with refused credentials for a given origin; `None`: the system has no auth.
    pub bad_credentials: Option<ConfigFn>,
    /// What the manifest must declare readable.
    pub resources: Vec<ResourceKind>,
    /// What the manifest must declare writable.
    pub writes: Vec<WriteKind>,
    /// Small enough that every resource spans at least two pages.
    pub page_size: u32,
    /// The ids the system holds, read from it directly, not via the connector. The first
    /// entry is also used for the error checks and the missing-id check.
    pub expected: Vec<Expected>,
    /// Change one record of a resource upstream (so that its modification time moves) and
    /// return its id. Called once for each resource of `expected` that has no parent.
    /// `None`: the system offers no way to change a record (the check is skipped, which
    /// the suite reports on stderr).
    pub touch: Option<TouchFn>,
    /// Delete a record of `expected` upstream. Called once, last, for the entry of
    /// `expected` of its resource. `None`: the subject cannot delete yet (the check is
    /// skipped, which the suite reports on stderr).
    pub delete: Option<Deletion>,
    /// A well-formed id that does not exist.
    pub missing_id: String,
    /// One per declared write; `verify` reads the effect back from the system.
    pub write_cases: Vec<WriteCase>,
    /// Sent together in one `write-batch` after the single writes: at least two ops, every
    /// declared write among them, with values the single writes did not set (so the read
    /// back proves the batch did it). Empty for a connector without writes.
    pub batch_cases: Vec<WriteCase>,
    /// Keeps the system's servers alive.
    pub guard: Box<dyn std::any::Any + Send>,
}

/// Run every check against `subject`; panics with a message naming the connector and the
/// check on the first failure.
pub async fn run(subject: Subject) {
    let name = subject.component.clone();
    let mut clock = std::time::Instant::now();
    // How long each check took, on stderr (shown with `--nocapture` or on failure).
    let mut lap = |check: &str| {
        eprintln!("[{name}] {check}: {:.1?}", clock.elapsed());
        clock = std::time::Instant::now();
    };
    let ctx = checks::Ctx::start(subject).await;
    lap("load");
    ctx.manifest();
    let listed = ctx.paging().await;
    lap("paging");
    ctx.get().await;
    lap("get");
    ctx.errors().await;
    lap("errors");
    ctx.updated_since(listed).await;
    lap("updated-since");
    ctx.changes_between_pages().await;
    lap("changes-between-pages");
    ctx.writes().await;
    lap("writes");
    ctx.batch_writes().await;
    lap("batch writes");
    ctx.deletion().await;
    lap("deletion");
    ctx.finish().await;
}
