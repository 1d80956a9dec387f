//! What every emulator (and the fault proxy) does the same way as a server: bind a local
//! address and know the base URL clients should use, serve an axum app from a tokio task
//! until stopped (dropping the handle stops it; `shutdown` also waits), and, for the
//! emulators, the fault controls of their [`FaultInjector`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::faults::{Fault, FaultInjector};

/// A bound listener, before the app that needs its base URL exists.
pub(crate) struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    base_url: String,
    name: &'static str,
}

/// Bind `listen` (`127.0.0.1:0` for a free port) for the server called `name` in messages.
pub(crate) async fn bind(name: &'static str, listen: SocketAddr) -> anyhow::Result<Bound> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding the {name} to {listen}"))?;
    let addr = listener
        .local_addr()
        .with_context(|| format!("reading the {name}'s local address"))?;
    // Clients cannot connect to 0.0.0.0 / [::]: advertise loopback instead.
    let shown = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    };
    Ok(Bound {
        listener,
        addr,
        base_url: format!("http://{shown}"),
        name,
    })
}

impl Bound {
    /// The URL clients reach the server at, e.g. `http://127.0.0.1:41234`.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Serve `app` until the returned task is stopped or dropped.
    pub(crate) fn serve(self, app: Router) -> (ServerTask, SocketAddr, String) {
        let (stop, stopped) = oneshot::channel::<()>();
        let (listener, name) = (self.listener, self.name);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "the {name} stopped with an error");
            }
        });
        let server = ServerTask {
            stop: Some(stop),
            task: Some(task),
        };
        (server, self.addr, self.base_url)
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

/// The serving task; dropping it stops the server.
#[derive(Debug)]
pub(crate) struct ServerTask {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerTask {
    /// Stop the server and wait (up to 5 s) for it to finish.
    pub(crate) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
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
