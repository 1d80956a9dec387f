//! Keeping the local copy fresh: the scheduler picks due (connection, resource) jobs and
//! runs them with bounded concurrency ([`scheduler`]); one job lists changes page by page
//! through the connector and commits each page with its checkpoint ([`autosync`]);
//! [`record_json`] turns canonical entities into the stored, served JSON.
//! [`reconcile`] finds what the external system deleted (a complete scan, confirmed).
//! [`components`] keeps every host's connector components in step with the database.

pub mod automation;
pub mod autosync;
pub mod components;
pub mod reconcile;
pub mod record_json;
pub mod scheduler;
