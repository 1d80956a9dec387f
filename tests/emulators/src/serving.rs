//! What every emulator does the same way as a server: bind and serve through the fault
//! proxy's [`server`] layer, plus the fault controls of their [`FaultInjector`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use junction_fault_proxy::server::{self, ServerTask};

use crate::faults::{Fault, FaultInjector};

/// A bound listener, before the app that needs its base URL exists.
pub(crate) struct Bound(server::Bound);

/// Bind `listen` (`127.0.0.1:0` for a free port) for the server called `name` in messages.
pub(crate) async fn bind(name: &'static str, listen: SocketAddr) -> anyhow::Result<Bound> {
    Ok(Bound(server::bind(name, listen).await?))
}

impl Bound {
    /// The URL clients reach the server at, e.g. `http://127.0.0.1:41234`.
    pub(crate) fn base_url(&self) -> &str {
        self.0.base_url()
    }

    /// Serve `app` until the returned task is stopped or dropped.
    pub(crate) fn serve(self, app: Router) -> (ServerTask, SocketAddr, String) {
        self.0.serve(app)
    }

    /// Serve an emulator's `app`, whose faults `faults` controls.
    pub(crate) fn serve_emulator(self, app: Router, faults: Arc<FaultInjector>) -> Served {
        let (server, addr, base_url) = self.serve(app);
        Served {
            addr,
            base_url,
            faults,
            _server: server,
        }
    }
}

/// A running emulator's server: where it is and its fault controls. Every emulator derefs
/// to it, so `emulator.base_url()` and `emulator.set_faults(...)` work on each.
#[derive(Debug)]
pub struct Served {
    addr: SocketAddr,
    base_url: String,
    faults: Arc<FaultInjector>,
    _server: ServerTask,
}

impl Served {
    /// The server's root, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the active faults (see [`Fault`]); resets the fault RNG, so the same list
    /// misbehaves identically for the same request sequence.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.faults.set(faults);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.faults.set(Vec::new());
    }

    /// The faults still active (exhausted `remaining` budgets are dropped).
    pub fn faults(&self) -> Vec<Fault> {
        self.faults.list()
    }

    /// API requests received so far (control endpoints excluded), faulted ones included.
    pub fn request_count(&self) -> u64 {
        self.faults.requests()
    }

    /// Stop the server and wait (up to 5 s) for it to finish.
    pub async fn shutdown(self) {
        self._server.shutdown().await;
    }
}
