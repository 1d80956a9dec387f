//! Telling the host where the connection's budget stands (the WIT `host.report-budget`
//! import), for systems whose limit is not a plain request rate: a bucket of points that
//! each request spends by its cost (Shopify's calculated query cost), or request limits in
//! several windows at once (Lightspeed). Report after every answer that says it; the host
//! then paces the connection's later requests — every call's — to use the budget to its
//! limit and never over it.
//!
//! ```ignore
//! junction_sdk::budget::report_points(1000.0, 412.0, 100.0, 252.0);
//! junction_sdk::budget::report_windows(&[(300, 12, 140_000), (3000, 2700, 2_400_000)]);
//! ```
//!
//! Off WebAssembly (unit tests on the build machine) reports go nowhere.

pub use crate::bindings::junction::connector::host::{BudgetReport, PointsBucket, RequestWindow};

/// A bucket of `capacity` points holding `available` after the answer, restoring
/// `restore_per_second`; the request that got the answer asked for `request_cost`.
pub fn report_points(capacity: f64, available: f64, restore_per_second: f64, request_cost: f64) {
    report(BudgetReport::Points(PointsBucket {
        capacity,
        available,
        restore_per_second,
        request_cost,
    }));
}

/// Request windows as `(limit, remaining, resets_in_ms)`, every one of which must hold.
pub fn report_windows(windows: &[(u64, u64, u64)]) {
    report(BudgetReport::Windows(
        windows
            .iter()
            .map(|&(limit, remaining, resets_in_ms)| RequestWindow {
                limit,
                remaining,
                resets_in_ms,
            })
            .collect(),
    ));
}

#[cfg(target_arch = "wasm32")]
fn report(report: BudgetReport) {
    crate::bindings::junction::connector::host::report_budget(&report);
}

#[cfg(not(target_arch = "wasm32"))]
fn report(_report: BudgetReport) {}
