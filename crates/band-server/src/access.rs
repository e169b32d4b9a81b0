//! The HTTP edge of access (the auth model is in ARCHITECTURE.md): what band-server adds to
//! band-core's access service, which holds the policy (scopes, devices, pairing, revocation,
//! rotation, the audit). Here:
//! - credentials read from requests: a bearer token ([`Auth::bearer`]) or a browser session
//!   cookie ([`Auth::cookie`], see [`crate::session`]);
//! - live sockets tied to the credential that opened them: [`Auth::ended`] resolves once that
//!   credential stops being valid (a revoked device, a rotated main token — which also ends every
//!   browser session), and the socket's owner closes it then; [`Auth::socket_opened`] counts them;
//! - the adapters of the service's ports: [`SystemClock`], [`SettingsToken`] (settings.json),
//!   [`TokioBackground`], and [`crate::secrets::OsSecrets`];
//! - the QR code of a pairing URL ([`qr_rows`]) and the wire shapes of devices and pairings.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use band_api as api;
use band_core::services::{Access, Caller, Credential, Pairing};
use band_core::{AuditKind, CoreError, Device, Millis};

use crate::rpc::notices::Broadcast;
use crate::session::{self, Subject};

/// The wall clock, for band-core.
#[derive(Debug, Default)]
pub struct SystemClock;

impl band_core::ports::Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The main token's home: settings.json in band's home.
pub struct SettingsToken {
    pub home: PathBuf,
}

#[async_trait::async_trait]
impl band_core::ports::MainTokenStore for SettingsToken {
    async fn rotate(&self) -> Result<String, CoreError> {
        let home = self.home.clone();
        tokio::task::spawn_blocking(move || crate::settings::rotate_token(&home))
            .await
            .map_err(|e| CoreError::Internal(Box::new(e)))?
            .map_err(|e| CoreError::Internal(Box::new(e)))
    }

    fn location(&self) -> String {
        crate::settings::settings_path(&self.home).display().to_string()
    }
}

/// Runs band-core's fire-and-forget writes on the tokio runtime.
#[derive(Debug, Default)]
pub struct TokioBackground;

impl band_core::ports::Background for TokioBackground {
    fn spawn(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(task);
        }
    }
}

/// Sockets (WebSockets of `/rpc` and of terminals) open at once at most.
pub const MAX_SOCKETS: usize = 4096;
/// Of those, kept for the main token alone, so that no device or browser can lock its owner out.
pub const MAIN_RESERVED: usize = 64;
/// Sockets one paired device may hold at once (all its tabs and terminals together).
pub const PER_DEVICE: usize = 32;
/// Sockets one browser session may hold at once (its tabs and terminals).
pub const PER_SESSION: usize = 64;

/// Whose a socket is, for its limits: the device, and the browser session (the hash of its
/// cookie) when it came from a browser. Neither: the main token's bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketOwner {
    pub device: Option<i64>,
    pub session: Option<String>,
}

#[derive(Default)]
struct SocketTally {
    total: usize,
    /// Sockets of devices and browser sessions, which may not use [`MAIN_RESERVED`].
    shared: usize,
    per_device: std::collections::HashMap<i64, usize>,
    per_session: std::collections::HashMap<String, usize>,
}

/// Credentials of HTTP requests, and the sockets they opened.
pub struct Auth {
    pub access: Access,
    notices: Arc<Broadcast>,
    live_sockets: AtomicU32,
    sockets: std::sync::Mutex<SocketTally>,
}

impl Auth {
    pub fn new(access: Access, notices: Arc<Broadcast>) -> Self {
        Self { access, notices, live_sockets: AtomicU32::new(0), sockets: std::sync::Mutex::default() }
    }

    /// On an in-memory store, with no tunnel (unit tests).
    #[cfg(test)]
    pub fn in_memory(token: &str) -> Self {
        let store = Arc::new(band_testkit::memory::MemoryStore::new());
        let notices = Arc::new(Broadcast::new(16));
        let ports = band_core::services::AccessPorts {
            devices: store.clone(),
            audit: store,
            secrets: Arc::new(crate::secrets::OsSecrets),
            clock: Arc::new(SystemClock),
            main_token: Arc::new(SettingsToken { home: "/nonexistent".into() }),
            background: Arc::new(TokioBackground),
            events: notices.clone(),
        };
        let access = futures_util::FutureExt::now_or_never(Access::load(ports, token.into(), None))
            .expect("the memory store is ready at once")
            .expect("access");
        Self::new(access, notices)
    }

    /// Tells the service the listening port, for pairing URLs when no tunnel runs.
    pub fn set_port(&self, port: u16) {
        self.access.set_local_base(format!("http://127.0.0.1:{port}"));
    }

    /// A bearer token: the main token or a device's.
    pub fn bearer(&self, token: &str, remote: Option<String>) -> Option<(Caller, Credential)> {
        self.access.bearer(token, remote)
    }

    /// A session cookie's value: whose session it is, if the main token made it and its device
    /// (if any) is still paired.
    pub fn cookie(&self, value: &str, remote: Option<String>) -> Option<(Caller, Credential)> {
        let subject = session::verify(&self.access.main_token(), value)?;
        let device = match subject {
            Subject::Main => None,
            Subject::Device(id) => Some(id),
        };
        self.access.session(device, remote)
    }

    /// The revoked device behind a refused request (its session cookie or its token), to name it
    /// in the audit log.
    pub fn revoked(&self, cookie: Option<&str>, bearer: Option<&str>, remote: Option<String>) -> Option<Caller> {
        let device = cookie.and_then(|v| match session::verify(&self.access.main_token(), v)? {
            Subject::Device(id) => Some(id),
            Subject::Main => None,
        });
        self.access.revoked_caller(device, bearer.filter(|_| device.is_none()), remote)
    }

    /// A new session cookie value for `subject`.
    pub fn new_session(&self, subject: Subject) -> Option<String> {
        session::new_session(&self.access.main_token(), subject)
    }

    /// A refusal for the audit log (rate-limited by the service).
    pub fn refusal(&self, kind: AuditKind, caller: Option<Caller>, detail: String) {
        self.access.refusal(kind, caller, detail);
    }

    /// Resolves once `credential` is no longer valid (revoked, rotated).
    pub fn ended(&self, credential: Credential) -> impl std::future::Future<Output = ()> + Send + 'static {
        let access = self.access.clone();
        // Joined before the first check, so a change between the two is not missed.
        let mut changes = self.notices.access_changes();
        async move {
            loop {
                if !access.valid(&credential) {
                    return;
                }
                if changes.changed().await.is_err() {
                    // The server is gone; so is the socket soon.
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    /// Admits a socket for `owner` within the limits ([`MAX_SOCKETS`], with [`MAIN_RESERVED`] of
    /// them for the main token; [`PER_DEVICE`]; [`PER_SESSION`]) and counts it until the returned
    /// count is dropped; else the refusal, naming the limit.
    ///
    /// # Errors
    /// The message for a 429.
    pub fn socket_opened(self: &Arc<Self>, owner: &SocketOwner) -> Result<SocketCount, String> {
        let main_bearer = owner.device.is_none() && owner.session.is_none();
        {
            let mut t = self.sockets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if t.total >= MAX_SOCKETS || (!main_bearer && t.shared >= MAX_SOCKETS - MAIN_RESERVED) {
                return Err(format!(
                    "band-server has {} sockets open, the most it keeps for devices and browsers; close some tabs \
                     (the main token keeps {MAIN_RESERVED} more for itself)",
                    t.total
                ));
            }
            if let Some(d) = owner.device
                && t.per_device.get(&d).copied().unwrap_or(0) >= PER_DEVICE
            {
                return Err(format!(
                    "this device has {PER_DEVICE} sockets open, the most one device may; close some of its tabs"
                ));
            }
            if let Some(s) = &owner.session
                && t.per_session.get(s).copied().unwrap_or(0) >= PER_SESSION
            {
                return Err(format!(
                    "this browser has {PER_SESSION} sockets open, the most one browser session may; close some tabs"
                ));
            }
            t.total += 1;
            if !main_bearer {
                t.shared += 1;
            }
            if let Some(d) = owner.device {
                *t.per_device.entry(d).or_default() += 1;
            }
            if let Some(s) = &owner.session {
                *t.per_session.entry(s.clone()).or_default() += 1;
            }
        }
        self.live_sockets.fetch_add(1, Ordering::Relaxed);
        Ok(SocketCount(self.clone(), owner.clone()))
    }

    /// Sockets open now.
    pub fn sockets_open(&self) -> usize {
        self.sockets.lock().unwrap_or_else(std::sync::PoisonError::into_inner).total
    }

    /// Rotates the main token and says how many sockets closed with it.
    ///
    /// # Errors
    /// As [`Access::rotate`].
    pub async fn rotate(&self, caller: &Caller) -> Result<api::TokenRotated, CoreError> {
        let before = self.live_sockets.load(Ordering::Relaxed);
        let settings_path = self.access.rotate(caller).await?;
        // Give the sockets' watchers a moment to close, so the count says what happened.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = self.live_sockets.load(Ordering::Relaxed);
        Ok(api::TokenRotated { sockets_closed: before.saturating_sub(after), settings_path })
    }
}

/// A live socket, counted until dropped.
pub struct SocketCount(Arc<Auth>, SocketOwner);

impl Drop for SocketCount {
    fn drop(&mut self) {
        self.0.live_sockets.fetch_sub(1, Ordering::Relaxed);
        let owner = &self.1;
        let mut t = self.0.sockets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        t.total = t.total.saturating_sub(1);
        if owner.device.is_some() || owner.session.is_some() {
            t.shared = t.shared.saturating_sub(1);
        }
        if let Some(d) = owner.device
            && let Some(n) = t.per_device.get_mut(&d)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.per_device.remove(&d);
            }
        }
        if let Some(s) = &owner.session
            && let Some(n) = t.per_session.get_mut(s)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.per_session.remove(s);
            }
        }
    }
}

pub fn device_info(d: &Device) -> api::DeviceInfo {
    api::DeviceInfo {
        id: d.id.0,
        name: d.name.to_string(),
        scope: crate::rpc::device_scope_info(d.scope),
        created_at: d.created_at,
        last_seen_at: d.last_seen_at,
        revoked_at: d.revoked_at,
    }
}

/// A pairing on the wire, with the QR code of its URL.
///
/// # Errors
/// A URL too long for a QR code.
pub fn pairing_info(p: Pairing) -> Result<api::Pairing, CoreError> {
    let qr = qr_rows(&p.url)?;
    Ok(api::Pairing {
        name: p.name.to_string(),
        scope: crate::rpc::device_scope_info(p.scope),
        code: p.code,
        url: p.url,
        expires_at: p.expires_at,
        qr,
    })
}

/// Who a caller is, on the wire.
pub fn whoami(caller: &Caller) -> api::WhoAmI {
    api::WhoAmI {
        scope: crate::rpc::scope_info(caller.scope),
        device_id: caller.device.as_ref().map(|(id, _)| id.0),
        device_name: caller.device.as_ref().map(|(_, name)| name.to_string()),
    }
}

/// The QR code of `text` as rows of `#` (dark) and ` ` (light), without the quiet zone.
///
/// # Errors
/// Text too long for a QR code.
pub fn qr_rows(text: &str) -> Result<Vec<String>, CoreError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| CoreError::InvalidInput(format!("the pairing URL does not fit a QR code: {e}").into()))?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors
        .chunks(width)
        .map(|row| row.iter().map(|c| if *c == qrcode::Color::Dark { '#' } else { ' ' }).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_rows_are_square_and_have_finder_patterns() {
        let rows = qr_rows("http://127.0.0.1:3456/?pair=00112233445566778899aabbccddeeff").expect("qr");
        assert!(rows.len() >= 21 && rows.iter().all(|r| r.chars().count() == rows.len()));
        assert!(rows[0].starts_with("#######"), "top-left finder: {:?}", rows[0]);
        assert!(rows[0].ends_with("#######"), "top-right finder");
    }
}
