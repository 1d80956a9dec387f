//! The request budget of every connection, shared by everything that calls out through it:
//! autosync, automations and Runtime API write-backs take their permits from the same
//! [`RequestBudget`], so together they stay within the external system's rate limit.
//!
//! A connection's budget is the connector manifest's `rate-limit`, unless the operator set
//! an override on the connection (a different budget, or none). When the effective budget
//! changes (override edited, connector upgraded) the connection gets a fresh limiter that
//! keeps any pause still running.
//!
//! On PostgreSQL several hosts may call out through the same connection at once, so there
//! budgets are shared through the database's ledger (`store::budget_ledger`): every
//! request reserves its slot there and pauses are written there, so the hosts together
//! keep the budget. On SQLite (one host) budgets stay in memory, with no database
//! round-trip per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::DomainError;
use crate::hub::Hub;
use junction_contract::Manifest;
use junction_runtime::budget::{
    BudgetLedger, LedgerError, LedgerFuture, RateLimit, RequestBudget, Reservation,
};
use junction_store::Backend;
use junction_store::Store;
use junction_store::connections::{Connection, RateLimitOverride};

/// Where a connection's budget comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum BudgetSource {
    /// The connector's manifest.
    Manifest,
    /// The operator's override on the connection.
    Override,
    /// Neither sets one: requests are not paced (429s still pause).
    None,
}

/// A connection's budget as the admin API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetView {
    pub source: BudgetSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_seconds: Option<u32>,
    /// How long requests are held back after a rate-limit answer, in milliseconds (on
    /// PostgreSQL pauses are shared by the hosts).
    pub paused_for_ms: u64,
    /// Requests sent through this budget since the process started, by the host that
    /// answers (each host counts its own).
    pub sent: u64,
}

/// The budget an operator's override sets (none: unlimited), or what is wrong with it,
/// naming the field: a positive budget, or `unlimited` alone.
pub fn override_limit(change: &RateLimitOverride) -> Result<Option<RateLimit>, (String, String)> {
    match (change.unlimited, change.requests, change.per_seconds) {
        (true, None, None) => Ok(None),
        (true, _, _) => Err((
            "unlimited".into(),
            "`unlimited: true` cannot be combined with requests/perSeconds".into(),
        )),
        (false, Some(requests), Some(per_seconds)) if requests > 0 && per_seconds > 0 => {
            Ok(Some(RateLimit {
                requests,
                per_seconds,
            }))
        }
        (false, None, _) | (false, Some(0), _) => Err((
            "requests".into(),
            "give a positive number of requests per `perSeconds`, or `unlimited: true`".into(),
        )),
        (false, _, _) => Err((
            "perSeconds".into(),
            "give the budget's window as a positive number of seconds".into(),
        )),
    }
}

/// The effective budget of a connection and where it comes from.
pub fn effective_limit(
    connection: &Connection,
    manifest: &Manifest,
) -> (Option<RateLimit>, BudgetSource) {
    match connection.rate_limit.as_ref().map(override_limit) {
        Some(Ok(limit)) => (limit, BudgetSource::Override),
        // An override that no longer validates is ignored (it was checked when set).
        Some(Err(_)) | None => match &manifest.rate_limit {
            Some(l) if l.requests > 0 && l.per_seconds > 0 => (
                Some(RateLimit {
                    requests: l.requests,
                    per_seconds: l.per_seconds,
                }),
                BudgetSource::Manifest,
            ),
            _ => (None, BudgetSource::None),
        },
    }
}

/// Every connection's budget, created on first use.
#[derive(Debug, Default)]
pub struct Budgets {
    by_connection: Mutex<HashMap<String, Arc<RequestBudget>>>,
    /// Where budgets are shared with the other hosts; none: in memory only.
    ledger: Option<Arc<dyn BudgetLedger>>,
}

impl Budgets {
    /// Budgets shared through `ledger`, or kept in memory (`None`).
    pub fn new(ledger: Option<Arc<dyn BudgetLedger>>) -> Self {
        Self {
            by_connection: Mutex::default(),
            ledger,
        }
    }

    /// The budgets a hub on `store` uses: shared through the database on PostgreSQL, in
    /// memory on SQLite.
    pub fn for_store(store: &Store) -> Self {
        Self::new(StoreLedger::for_store(store))
    }

    fn make(&self, connection_id: &str, limit: Option<RateLimit>) -> RequestBudget {
        match &self.ledger {
            Some(ledger) => RequestBudget::shared(limit, ledger.clone(), connection_id),
            None => RequestBudget::new(limit),
        }
    }

    /// The budget for a connection under `limit`; replaced (keeping a running pause) when
    /// the limit differs from the one it was made with.
    pub fn for_connection(
        &self,
        connection_id: &str,
        limit: Option<RateLimit>,
    ) -> Arc<RequestBudget> {
        let Ok(mut map) = self.by_connection.lock() else {
            return Arc::new(self.make(connection_id, limit));
        };
        if let Some(existing) = map.get(connection_id)
            && existing.limit() == limit
        {
            return existing.clone();
        }
        let fresh = Arc::new(self.make(connection_id, limit));
        if let Some(paused) = map.get(connection_id).and_then(|old| old.paused()) {
            // Carried over, not a new pause (a shared one is in the ledger already).
            fresh.hold_for(paused.remaining);
        }
        map.insert(connection_id.to_string(), fresh.clone());
        fresh
    }

    /// The budget a connection has now, if it was used since the process started.
    pub fn current(&self, connection_id: &str) -> Option<Arc<RequestBudget>> {
        self.by_connection.lock().ok()?.get(connection_id).cloned()
    }

    /// The admin view of a connection's budget, with the pause as the ledger has it when
    /// budgets are shared (a pause another host saw shows here even if this host has not
    /// called out through the connection since). A ledger that fails leaves this host's
    /// view.
    pub async fn view(&self, connection: &Connection, manifest: Option<&Manifest>) -> BudgetView {
        let mut view = self.local_view(connection, manifest);
        if let Some(ledger) = &self.ledger {
            match ledger.paused(&connection.id).await {
                Ok(Some(remaining)) => {
                    let ms = u64::try_from(remaining.as_millis()).unwrap_or(u64::MAX);
                    view.paused_for_ms = view.paused_for_ms.max(ms);
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(connection = %connection.id, "{e}"),
            }
        }
        view
    }

    /// The view from this host's memory (pauses this host saw or was told of by the ledger
    /// with a reservation).
    fn local_view(&self, connection: &Connection, manifest: Option<&Manifest>) -> BudgetView {
        let (limit, source) = match manifest {
            Some(m) => effective_limit(connection, m),
            None => (None, BudgetSource::None),
        };
        let live = self.current(&connection.id);
        BudgetView {
            source,
            requests: limit.map(|l| l.requests),
            per_seconds: limit.map(|l| l.per_seconds),
            paused_for_ms: live.as_ref().and_then(|b| b.paused()).map_or(0, |p| {
                u64::try_from(p.remaining.as_millis()).unwrap_or(u64::MAX)
            }),
            sent: live.map_or(0, |b| b.sent()),
        }
    }
}

/// A connection's budget as the admin API shows it.
pub async fn show(hub: &Hub, connection_id: &str) -> Result<BudgetView, DomainError> {
    let connection = hub.store.connection(connection_id).await?;
    let connector = hub.registry.get(&connection.connector_key);
    Ok(hub
        .budgets
        .view(&connection, connector.as_ref().map(|c| &c.manifest))
        .await)
}

/// Override a connection's budget (`None`: the connector manifest's again). The override
/// must be a positive budget or `unlimited`, the field named when it is not.
pub async fn set_override(
    hub: &Hub,
    connection_id: &str,
    change: Option<&RateLimitOverride>,
) -> Result<BudgetView, DomainError> {
    if let Some(limit) = change
        && let Err((field, message)) = override_limit(limit)
    {
        return Err(DomainError::invalid(format!("rateLimit.{field}"), message));
    }
    hub.store
        .set_connection_rate_limit(connection_id, change)
        .await?;
    tracing::info!(connection = %connection_id, override = ?change, "request budget changed");
    show(hub, connection_id).await
}

/// The store as the runtime's [`BudgetLedger`] (PostgreSQL only).
#[derive(Debug, Clone)]
pub struct StoreLedger {
    store: Store,
}

impl StoreLedger {
    /// The ledger of a PostgreSQL store; `None` on SQLite, where budgets stay in memory.
    pub fn for_store(store: &Store) -> Option<Arc<dyn BudgetLedger>> {
        (store.backend() == Backend::Postgres).then(|| {
            Arc::new(StoreLedger {
                store: store.clone(),
            }) as Arc<dyn BudgetLedger>
        })
    }
}

impl BudgetLedger for StoreLedger {
    fn reserve<'a>(
        &'a self,
        connection_id: &'a str,
        interval: Duration,
    ) -> LedgerFuture<'a, Reservation> {
        Box::pin(async move {
            self.store
                .reserve_request_slot(connection_id, interval)
                .await
                .map(|slot| Reservation {
                    wait: slot.wait,
                    paused_for: slot.paused_for,
                })
                .map_err(|e| LedgerError(e.to_string()))
        })
    }

    fn pause<'a>(&'a self, connection_id: &'a str, wait: Duration) -> LedgerFuture<'a, ()> {
        Box::pin(async move {
            self.store
                .pause_requests(connection_id, wait)
                .await
                .map_err(|e| LedgerError(e.to_string()))
        })
    }

    fn paused<'a>(&'a self, connection_id: &'a str) -> LedgerFuture<'a, Option<Duration>> {
        Box::pin(async move {
            self.store
                .requests_paused(connection_id)
                .await
                .map_err(|e| LedgerError(e.to_string()))
        })
    }
}
