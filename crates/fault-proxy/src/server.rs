//! Serving an axum app on a local address for as long as a handle lives: bind and know the
//! base URL clients should use, serve from a tokio task until stopped (dropping the handle
//! stops it; `shutdown` also waits). The proxy and every emulator serve this way.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server that could not bind its address.
#[derive(Debug, thiserror::Error)]
#[error("binding the {name} to {listen}: {source}")]
pub struct BindError {
    name: &'static str,
    listen: SocketAddr,
    source: std::io::Error,
}

/// A bound listener, before the app that needs its base URL exists.
pub struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    base_url: String,
    name: &'static str,
}

/// Bind `listen` (`127.0.0.1:0` for a free port) for the server called `name` in messages.
pub async fn bind(name: &'static str, listen: SocketAddr) -> Result<Bound, BindError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| BindError {
            name,
            listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| BindError {
        name,
        listen,
        source,
    })?;
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
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Serve `app` until the returned task is stopped or dropped.
    pub fn serve(self, app: Router) -> (ServerTask, SocketAddr, String) {
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
}

/// The serving task; dropping it stops the server.
#[derive(Debug)]
pub struct ServerTask {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerTask {
    /// Stop the server and wait (up to 5 s) for it to finish.
    pub async fn shutdown(mut self) {
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
