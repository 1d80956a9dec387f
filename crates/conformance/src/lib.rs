//! The connector conformance checks: given a component and a system to talk to (a
//! [`Subject`]), check through the real runtime, with the system behind the fault proxy,
//! that the connector keeps the contract. One implementation for two front ends:
//! `junction connector check` (an author's connector against their running system) and the
//! test suite in `tests/e2e/suite` (every connector against its emulator or real system).
//!
//! - manifest: it loads (the runtime validates it), declares exactly the subject's
//!   resources and writes, its config schema is a JSON Schema accepting the subject's
//!   config, and its secret fields are `writeOnly`;
//! - paging: every resource pages to the end with the subject's page size, over at least
//!   two pages, without duplicates or gaps, and the cursor runs out;
//! - get: an existing record comes back as itself; a missing id is `not-found`;
//! - errors: refused credentials and an injected 401 are `unauthorized`, 429 is
//!   `rate-limited` with the `Retry-After` wait, 500 is `upstream` 500, a stalled answer is
//!   `transport`;
//! - updated-since: a record touched upstream comes back, untouched ones do not (when the
//!   system's clock separates them);
//! - changes between pages: a record touched while a listing walks its pages loses nothing;
//! - writes: every declared write has a case, succeeds, and its effect is in the system;
//! - batch writes: every declared write also works through `write-batch`, in one batch of
//!   at least two ops, one outcome per op in order, each effect read back;
//! - deletion (last, it destroys), as the manifest declares it: a record deleted upstream
//!   leaves a full listing and an ids-only scan, its `get` is `not-found`, and a resource
//!   declared `reported` reports it in `page.deleted` of an incremental listing.
//!
//! Every failure message starts with `[<component>] <check>:`. A check that cannot run for
//! this subject (nothing to touch upstream, nothing to delete) is skipped and says why.

mod checks;
mod ctx;
mod report;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use junction_runtime::types::{ResourceKind, WriteKind, WriteOp};
pub use report::{CheckRecord, Done, Failure, Outcome, Report};

pub type BoxFut<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;
/// What a subject's upstream helpers fail with. They are the front end's code (a test's
/// direct access to its system, the CLI's commands), so any error with its context chain.
pub type HelperError = anyhow::Error;
/// Builds a config for a given origin.
pub type ConfigFn = Box<dyn Fn(&str) -> serde_json::Value + Send + Sync>;
/// Changes one record of a resource upstream; returns its id.
pub type TouchFn = Box<dyn Fn(ResourceKind) -> BoxFut<Result<String, HelperError>> + Send + Sync>;
/// Deletes one record of a resource upstream (the id given), as the system's users would.
pub type DeleteFn =
    Box<dyn Fn(ResourceKind, String) -> BoxFut<Result<(), HelperError>> + Send + Sync>;
/// Creates a record upstream; returns its id.
pub type CreateFn = Box<dyn Fn() -> BoxFut<Result<String, HelperError>> + Send + Sync>;
/// Reads a write's effect back from the system.
pub type VerifyFn = Box<dyn Fn() -> BoxFut<Result<(), HelperError>> + Send + Sync>;

/// What a subject's touch returns for a resource it offers no way to change (an author gave
/// no command for it): the checks note it and go on with the other resources.
#[derive(Debug, thiserror::Error)]
#[error("the subject offers no way to change {0} upstream")]
pub struct NotOffered(pub &'static str);

/// How the checks delete a record upstream: which resource, and the function that does it.
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
    /// Reads the effect back (from the system directly where the subject can).
    pub verify: VerifyFn,
}

/// A connector and the system it talks to.
pub struct Subject {
    /// The component file.
    pub component: PathBuf,
    /// The origin of the system, e.g. `http://127.0.0.1:PORT`. The checks put a proxy in
    /// front of it and hand the proxy's origin to `config`.
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
    /// The ids the system holds. The first entry is also used for the error checks and the
    /// missing-id check.
    pub expected: Vec<Expected>,
    /// Change one record of a resource upstream (so that its modification time moves) and
    /// return its id. Called once for each resource of `expected` that has no parent.
    /// `None`: the subject offers no way to change a record (those checks are skipped).
    pub touch: Option<TouchFn>,
    /// Delete a record of `expected` upstream. Called once, last. `None`: skipped.
    pub delete: Option<Deletion>,
    /// A well-formed id that does not exist.
    pub missing_id: String,
    /// One per declared write (unless `writes_required` is false); `verify` reads the
    /// effect back.
    pub write_cases: Vec<WriteCase>,
    /// True: every declared write must have a case, and the batch cases cover them all (the
    /// test suite's subjects). False (an author's subject): declared writes without a case
    /// are noted as untested, and without cases the write checks are skipped.
    pub writes_required: bool,
    /// Sent together in one `write-batch` after the single writes: at least two ops, every
    /// declared write among them, with values the single writes did not set (so the read
    /// back proves the batch did it). Empty for a connector without writes.
    pub batch_cases: Vec<WriteCase>,
    /// Keeps the system's servers alive.
    pub guard: Box<dyn std::any::Any + Send>,
}

impl Subject {
    /// The component's name in messages: its file name without `.wasm`.
    pub fn name(&self) -> String {
        component_name(&self.component)
    }
}

fn component_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Where compiled components are kept between runs (Python and JavaScript components take
/// seconds to compile); `None` compiles in memory.
pub struct RunOptions {
    pub cache_dir: Option<PathBuf>,
}

/// Run every check against `subject`, in order, each one whatever the others found (the
/// deletion last: it destroys a record).
pub async fn run(subject: Subject, options: RunOptions) -> Report {
    let mut report = Report {
        component: subject.name(),
        checks: Vec::new(),
    };
    let started = std::time::Instant::now();
    let ctx = match ctx::Ctx::start(subject, options.cache_dir).await {
        Ok(ctx) => ctx,
        Err(failure) => {
            report.record("load", Err(failure), Vec::new(), started.elapsed());
            return report;
        }
    };
    report.record(
        "load",
        Ok(Done::Passed),
        ctx.take_notes(),
        started.elapsed(),
    );
    macro_rules! step {
        ($name:literal, $check:expr) => {{
            let started = std::time::Instant::now();
            let result = $check;
            report.record($name, result, ctx.take_notes(), started.elapsed());
        }};
    }
    step!("manifest", ctx.manifest());
    let mut listed = None;
    step!("paging", {
        ctx.paging().await.map(|records| {
            listed = Some(records);
            Done::Passed
        })
    });
    step!("get", ctx.get().await);
    step!("errors", ctx.errors().await);
    step!("updated-since", ctx.updated_since(listed).await);
    step!("changes-between-pages", ctx.changes_between_pages().await);
    step!("writes", ctx.writes().await);
    step!("batch writes", ctx.batch_writes().await);
    step!("deletion", ctx.deletion().await);
    ctx.finish().await;
    report
}
