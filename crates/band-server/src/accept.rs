//! The accept loop: every TCP connection is served by hyper (HTTP/1.1, with upgrades for the
//! WebSockets), with the peer's address in each request's extensions (for the audit log only) and
//! `TCP_NODELAY` (events are small frames that must go out at once; Nagle would hold them ~40 ms).
//!
//! A connection must send a request's headers within the header timeout, and a kept-alive one
//! that sends nothing more is closed after it: a client that connects and says nothing (or
//! dribbles a header byte by byte) cannot hold a socket, unauthenticated, forever. Upgraded
//! connections (WebSockets) leave hyper's timer; jsonrpsee pings them instead.
//!
//! Shutdown: no new connection is accepted; every open one finishes its request in flight and
//! closes; then [`serve`] returns.

use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serves `app` on `listener` until `shutdown` resolves, then lets open connections finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted: the
                    // server goes on; a short pause keeps a full table from spinning the loop.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = signal_tx.closed() => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        let service = tower::ServiceExt::map_request(app.clone(), move |req: hyper::Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let service = TowerToHyperService::new(service);
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        tokio::spawn(async move {
            let mut builder = Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(tcp), service).with_upgrades());
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = signal_tx.closed() => {
                    // Finish the request in flight, then close (each future polled to its end
                    // once: the shutdown signal is not waited for again).
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = result {
                tracing::trace!(error = %e, %peer, "connection ended with an error");
            }
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
}
