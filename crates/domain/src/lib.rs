//! The domain: every operation with a rule, in one home that every front end calls — the
//! admin API, the Runtime API, the portal, the CLI (through the admin API) and the
//! schedulers. Front ends parse and present; they never write to the store themselves, and
//! no rule (a range, a check, a side effect such as waking the scheduler) is written twice.
//!
//! The machinery those operations drive lives here too: the [`hub`] (store + registry +
//! vault, preparing calls), the [`secrets`] vault and its [`key_check`], autosync and the
//! automation engine ([`sync`]) and outgoing webhooks ([`webhooks`]).
//!
//! - [`accounts`]: portal users and their passwords, sessions and sign-in throttling; API
//!   keys (generate, create, revoke, resolve).
//! - [`tenants`]: creating tenants.
//! - [`connections`]: a connection's resources and schedules (the one cadence rule), sync
//!   now, health checks.
//! - [`connectors`]: the registry as people see it; uploads.
//! - [`freshness`]: how fresh a resource's local copy is, and whether it may be read yet.
//! - [`budgets`]: each connection's request budget and the operator's override.
//! - [`automations`]: automations between two connections (the engine is `sync::automation`).
//! - [`push`]: orders pushed by custom systems; [`input`]: reading values of JSON bodies.
//! - [`write_back`]: Runtime API writes (capability, idempotency, the local copy).

pub mod hub;
pub mod key_check;
pub mod secrets;
pub mod sync;
pub mod webhooks;

pub mod accounts;
pub mod automations;
pub mod budgets;
pub mod connections;
pub mod connectors;
pub mod freshness;
pub mod input;
pub mod push;
pub mod runs;
pub mod tenants;
pub mod write_back;

use crate::hub::HubError;
use junction_store::StoreError;

/// What is wrong with an input, per field (the one problem type of every front end).
pub use junction_runtime::config_check::FieldProblem as Problem;

/// A problem with `field`.
pub fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// Why a domain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Bad input: one problem per field, each saying what is accepted.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hub(#[from] HubError),
    /// Something that should not fail did (no randomness, a hash that cannot be made).
    #[error("{0}")]
    Internal(String),
}

impl DomainError {
    /// One problem with one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![problem(field, message)])
    }

    /// The same refusal said of another field (a nested one: `items[0].price`).
    pub fn for_field(self, field: &str) -> Self {
        match self {
            DomainError::Invalid(problems) => DomainError::Invalid(
                problems
                    .into_iter()
                    .map(|p| problem(field, p.message))
                    .collect(),
            ),
            other => other,
        }
    }
}
