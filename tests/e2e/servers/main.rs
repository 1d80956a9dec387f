//! Tier 2, servers: the real `junction serve` binary with emulators — the Runtime and admin
//! APIs, the admin CLI, crash recovery, the portal over HTTP, security and storage faults,
//! and several hosts on one PostgreSQL.
//!
//! One test binary per tier (each links the whole host once); every module is one
//! former test file. Shared helpers are in `common/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod admin_cli;
mod connection_fixes;
mod crash;
mod freshness;
mod lossless_recipe;
mod portal;
mod portal_automations;
mod portal_connection_detail;
mod portal_connection_form;
mod portal_records;
mod portal_runs_connectors;
mod portal_users_webhooks;
mod reconciliation;
mod resilience;
mod runtime_api;
mod scaleout;
mod security;
mod serve;
mod shared_budgets;
mod shared_components;
