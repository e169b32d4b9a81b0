//! The credentials band-server accepts and what each may do (the auth model is in
//! ARCHITECTURE.md):
//! - the main token (settings.json): admin scope; replaced by [`Access::rotate`];
//! - device tokens: 32 random bytes each, minted when a pairing code is redeemed, kept only as
//!   their SHA-256 (in the store, mirrored here for the guard), with a scope (`read` or
//!   `control`); revoked by [`Access::revoke`]; they survive a main token rotation;
//! - browser sessions (cookies, see [`crate::session`]) for the main token or a device.
//!
//! Every live socket is tied to the credential that opened it: [`Access::ended`] resolves once
//! that credential stops being valid (a revoked device, a rotated main token — which also ends
//! every cookie session), and the socket's owner closes it then.
//!
//! Pairing codes are random (128 bits), single-use, expire after [`PAIRING_TTL`], and live in
//! memory only (a restart forgets them). The audit log gets every auth event; refusals are
//! rate-limited ([`REFUSALS_PER_MINUTE`]) so a flood cannot grow the database or slow its writer.
//! No token or code is ever written to the audit log.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::rpc::Caller;
use band_api as api;
use band_core::ports::{AuditLog, DeviceStore};
use band_core::{AuditKind, CoreError, Device, DeviceId, NewAuditEntry, NewDevice, Scope, StoreError};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::watch;

use crate::session::{self, Subject};

/// How long a pairing code can be redeemed.
pub const PAIRING_TTL: Duration = Duration::from_secs(10 * 60);
/// How often a device's last-seen time is written at most.
pub const SEEN_EVERY: Duration = Duration::from_secs(60);
/// Refusals recorded in the audit log per minute at most; the rest are counted.
pub const REFUSALS_PER_MINUTE: u32 = 30;
/// Pairing codes waiting at once at most (each is 10 minutes of memory).
const MAX_PENDING: usize = 64;

/// What a request's credential was, for as long as its socket lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The device whose token or session it was; `None` for the main token.
    pub device: Option<DeviceId>,
    /// The main token's generation it depends on: set for the main token and for every cookie
    /// (cookies are keyed by the main token), so a rotation ends it.
    pub generation: Option<u64>,
}

struct DeviceEntry {
    id: DeviceId,
    name: String,
    scope: Scope,
    revoked: bool,
}

struct Pending {
    name: String,
    scope: Scope,
    expires: Instant,
    expires_at: i64,
}

struct Main {
    token: String,
    generation: u64,
}

#[derive(Default)]
struct RefusalWindow {
    start: Option<Instant>,
    recorded: u32,
    dropped: u32,
}

/// The port behind the audit log and devices.
pub trait AccessStore: DeviceStore + AuditLog {}
impl<S: DeviceStore + AuditLog> AccessStore for S {}

/// The running tunnel's public URL, when one runs.
type PublicUrl = Box<dyn Fn() -> Option<String> + Send + Sync>;

pub struct Access {
    home: PathBuf,
    port: RwLock<u16>,
    main: RwLock<Main>,
    /// By token hash (hex).
    devices: RwLock<HashMap<String, DeviceEntry>>,
    /// By the code's hash (hex).
    pending: Mutex<HashMap<String, Pending>>,
    seen: Mutex<HashMap<DeviceId, Instant>>,
    refusals: Mutex<RefusalWindow>,
    /// Bumped on every revocation and rotation; sockets re-check their credential then.
    changed: watch::Sender<u64>,
    store: Arc<dyn AccessStore>,
    /// Where the running tunnel's public URL comes from (band-server wires it to the tunnel
    /// service); none: pairing URLs use the loopback address.
    public_url: OnceLock<PublicUrl>,
    live_sockets: AtomicU32,
    /// How long a pairing code lasts ([`PAIRING_TTL`]; shorter in tests).
    pairing_ttl: Duration,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Lowercase hex SHA-256.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(bytes: usize) -> Result<String, CoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| CoreError::Internal(Box::new(std::io::Error::other(e.to_string()))))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn store_error(e: StoreError) -> CoreError {
    CoreError::from(e)
}

pub fn device_info(d: &Device) -> api::DeviceInfo {
    api::DeviceInfo {
        id: d.id.0,
        name: d.name.clone(),
        scope: d.scope.as_str().to_owned(),
        created_at: d.created_at,
        last_seen_at: d.last_seen_at,
        revoked_at: d.revoked_at,
    }
}

/// The QR code of `text` as rows of `#` (dark) and ` ` (light), without the quiet zone.
///
/// # Errors
/// Text too long for a QR code.
pub fn qr_rows(text: &str) -> Result<Vec<String>, CoreError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| CoreError::InvalidInput(format!("the pairing URL does not fit a QR code: {e}")))?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors
        .chunks(width)
        .map(|row| row.iter().map(|c| if *c == qrcode::Color::Dark { '#' } else { ' ' }).collect())
        .collect())
}

impl Access {
    /// Loads the devices from `store`.
    ///
    /// # Errors
    /// The store's.
    pub async fn load(home: PathBuf, token: String, store: Arc<dyn AccessStore>) -> Result<Self, StoreError> {
        let devices = store
            .list_devices()
            .await?
            .into_iter()
            .map(|d| {
                let entry = DeviceEntry { id: d.id, name: d.name, scope: d.scope, revoked: d.revoked_at.is_some() };
                (d.token_hash, entry)
            })
            .collect();
        Ok(Self {
            home,
            port: RwLock::new(0),
            main: RwLock::new(Main { token, generation: 0 }),
            devices: RwLock::new(devices),
            pending: Mutex::default(),
            seen: Mutex::default(),
            refusals: Mutex::default(),
            changed: watch::channel(0).0,
            store,
            public_url: OnceLock::new(),
            pairing_ttl: PAIRING_TTL,
            live_sockets: AtomicU32::new(0),
        })
    }

    pub fn set_port(&self, port: u16) {
        *self.port.write().unwrap_or_else(|p| p.into_inner()) = port;
    }

    /// Where to find the running tunnel's public URL, asked at each pairing (set once).
    pub fn set_public_url(&self, source: impl Fn() -> Option<String> + Send + Sync + 'static) {
        let _ = self.public_url.set(Box::new(source));
    }

    /// Where a paired device reaches the dashboard: the tunnel's public URL while one runs, else
    /// this server's own loopback address.
    pub fn public_base(&self) -> String {
        if let Some(url) = self.public_url.get().and_then(|source| source()) {
            return url.trim_end_matches('/').to_owned();
        }
        format!("http://127.0.0.1:{}", self.port.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The main token (for session MACs).
    pub fn main_token(&self) -> String {
        self.main.read().unwrap_or_else(|p| p.into_inner()).token.clone()
    }

    fn generation(&self) -> u64 {
        self.main.read().unwrap_or_else(|p| p.into_inner()).generation
    }

    /// A bearer token: the main token or a device's.
    pub fn bearer(&self, token: &str, remote: Option<String>) -> Option<(Caller, Credential)> {
        {
            let main = self.main.read().unwrap_or_else(|p| p.into_inner());
            // Constant time in the candidate's content; lengths are not secret (always 64).
            if !main.token.is_empty() && bool::from(main.token.as_bytes().ct_eq(token.as_bytes())) {
                let caller = Caller { scope: Scope::Admin, device: None, remote };
                return Some((caller, Credential { device: None, generation: Some(main.generation) }));
            }
        }
        // A hash lookup: the hash of a guess reveals nothing about stored hashes.
        let devices = self.devices.read().unwrap_or_else(|p| p.into_inner());
        let d = devices.get(&hash(token)).filter(|d| !d.revoked)?;
        self.seen(d.id);
        let caller = Caller { scope: d.scope, device: Some((d.id, d.name.clone())), remote };
        Some((caller, Credential { device: Some(d.id), generation: None }))
    }

    /// A session cookie's value.
    pub fn cookie(&self, value: &str, remote: Option<String>) -> Option<(Caller, Credential)> {
        let (token, generation) = {
            let main = self.main.read().unwrap_or_else(|p| p.into_inner());
            (main.token.clone(), main.generation)
        };
        match session::verify(&token, value)? {
            Subject::Main => Some((
                Caller { scope: Scope::Admin, device: None, remote },
                Credential { device: None, generation: Some(generation) },
            )),
            Subject::Device(id) => {
                let devices = self.devices.read().unwrap_or_else(|p| p.into_inner());
                let d = devices.values().find(|d| d.id.0 == id && !d.revoked)?;
                self.seen(d.id);
                Some((
                    Caller { scope: d.scope, device: Some((d.id, d.name.clone())), remote },
                    Credential { device: Some(d.id), generation: Some(generation) },
                ))
            }
        }
    }

    /// Records that a device was seen, writing at most every [`SEEN_EVERY`].
    fn seen(&self, id: DeviceId) {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(&id).is_some_and(|last| now.duration_since(*last) < SEEN_EVERY) {
            return;
        }
        seen.insert(id, now);
        let store = self.store.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.touch_device(id, now_ms()).await {
                    tracing::debug!(error = %e, "recording a device's last-seen time");
                }
            });
        }
    }

    /// Whether `credential` is still good.
    pub fn valid(&self, credential: &Credential) -> bool {
        if credential.generation.is_some_and(|g| g != self.generation()) {
            return false;
        }
        match credential.device {
            None => true,
            Some(id) => {
                self.devices.read().unwrap_or_else(|p| p.into_inner()).values().any(|d| d.id == id && !d.revoked)
            }
        }
    }

    /// Resolves once `credential` is no longer valid (revoked, rotated).
    pub fn ended(self: &Arc<Self>, credential: Credential) -> impl std::future::Future<Output = ()> + Send + 'static {
        let access = self.clone();
        let mut changes = self.changed.subscribe();
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

    /// Counts a live socket for [`api::TokenRotated::sockets_closed`] while the guard lives.
    pub fn socket_opened(self: &Arc<Self>) -> SocketCount {
        self.live_sockets.fetch_add(1, Ordering::Relaxed);
        SocketCount(self.clone())
    }

    /// Appends to the audit log; a failure is logged, never the request's.
    pub async fn audit(&self, kind: AuditKind, caller: Option<&Caller>, detail: String) {
        let (device, device_name) = match caller.and_then(|c| c.device.clone()) {
            Some((id, name)) => (Some(id), Some(name)),
            None => (None, None),
        };
        let entry = NewAuditEntry { kind, device, device_name, remote: caller.and_then(|c| c.remote.clone()), detail };
        if let Err(e) = self.store.append_audit(entry).await {
            tracing::warn!(error = %e, "writing the audit log");
        }
    }

    /// A refusal, recorded unless more than [`REFUSALS_PER_MINUTE`] came this minute (those are
    /// counted and mentioned in the next one recorded). Never waits for the database.
    pub fn refusal(self: &Arc<Self>, kind: AuditKind, caller: Option<Caller>, detail: String) {
        let detail = {
            let mut w = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if w.start.is_none_or(|s| now.duration_since(s) >= Duration::from_secs(60)) {
                w.start = Some(now);
                w.recorded = 0;
            }
            if w.recorded >= REFUSALS_PER_MINUTE {
                w.dropped = w.dropped.saturating_add(1);
                return;
            }
            w.recorded += 1;
            match std::mem::take(&mut w.dropped) {
                0 => detail,
                n => format!("{detail} ({n} more refusals were not recorded)"),
            }
        };
        let access = self.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { access.audit(kind, caller.as_ref(), detail).await });
        }
    }

    /// Starts pairing: a code for a new device called `name` with `scope`.
    ///
    /// # Errors
    /// A bad name or scope; too many pairings waiting.
    pub async fn start_pairing(
        &self,
        caller: &Caller,
        name: &str,
        scope: Option<&str>,
    ) -> Result<api::Pairing, CoreError> {
        let name = band_core::device_name(name).map_err(CoreError::InvalidInput)?;
        let scope = Scope::for_device(scope.unwrap_or("read")).map_err(CoreError::InvalidInput)?;
        let code = random_hex(16)?;
        let expires_at = now_ms() + i64::try_from(self.pairing_ttl.as_millis()).unwrap_or(i64::MAX);
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            pending.retain(|_, p| p.expires > now);
            if pending.len() >= MAX_PENDING {
                return Err(CoreError::Refused(format!(
                    "{MAX_PENDING} pairing codes are waiting; use one or wait for them to expire (10 minutes)"
                )));
            }
            let p = Pending { name: name.clone(), scope, expires: now + self.pairing_ttl, expires_at };
            pending.insert(hash(&code), p);
        }
        let url = format!("{}/?pair={code}", self.public_base());
        let qr = qr_rows(&url)?;
        let detail = format!("pairing code issued for '{name}' with {} access", scope.as_str());
        self.audit(AuditKind::PairingStarted, Some(caller), detail).await;
        Ok(api::Pairing { name, scope: scope.as_str().to_owned(), code, url, expires_at, qr })
    }

    /// Redeems a pairing code: the new device and its token (shown this once).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a wrong, used or expired code (audited, rate-limited).
    pub async fn redeem(self: &Arc<Self>, code: &str, remote: Option<String>) -> Result<(Device, String), CoreError> {
        let found = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.remove(&hash(code.trim()))
        };
        let Some(p) = found.filter(|p| p.expires > Instant::now()) else {
            let caller = Caller { scope: Scope::Read, device: None, remote };
            self.refusal(AuditKind::RedeemFailed, Some(caller), "a wrong, used or expired pairing code".into());
            return Err(CoreError::InvalidInput(
                "this pairing code is wrong, was already used or has expired (codes last 10 minutes); \
                 ask for a new one with `band qr`"
                    .into(),
            ));
        };
        let token = random_hex(32)?;
        let token_hash = hash(&token);
        let device = self
            .store
            .insert_device(NewDevice { name: p.name, scope: p.scope, token_hash: token_hash.clone() })
            .await
            .map_err(store_error)?;
        self.devices.write().unwrap_or_else(|p| p.into_inner()).insert(
            token_hash,
            DeviceEntry { id: device.id, name: device.name.clone(), scope: device.scope, revoked: false },
        );
        let caller = Caller { scope: device.scope, device: Some((device.id, device.name.clone())), remote };
        let detail =
            format!("paired with {} access (code issued to expire at {})", device.scope.as_str(), p.expires_at);
        self.audit(AuditKind::Paired, Some(&caller), detail).await;
        Ok((device, token))
    }

    /// Revokes a device by id or name.
    ///
    /// # Errors
    /// No such device; a name shared by several devices.
    pub async fn revoke_device(&self, caller: &Caller, which: &str) -> Result<Device, CoreError> {
        let which = which.trim();
        let all = self.store.list_devices().await.map_err(store_error)?;
        let device = match which.parse::<i64>() {
            Ok(id) => all.into_iter().find(|d| d.id.0 == id),
            Err(_) => {
                let mut named: Vec<Device> =
                    all.into_iter().filter(|d| d.name == which && d.revoked_at.is_none()).collect();
                if named.len() > 1 {
                    let ids: Vec<String> = named.iter().map(|d| d.id.0.to_string()).collect();
                    return Err(CoreError::InvalidInput(format!(
                        "{} devices are called '{which}' (ids {}); revoke one by its id",
                        named.len(),
                        ids.join(", ")
                    )));
                }
                named.pop()
            }
        };
        let Some(device) = device else {
            return Err(CoreError::NotFound(format!("device '{which}'; see `band devices list`")));
        };
        let revoked = self.store.revoke_device(device.id).await.map_err(store_error)?;
        if let Some(d) = self.devices.write().unwrap_or_else(|p| p.into_inner()).get_mut(&revoked.token_hash) {
            d.revoked = true;
        }
        self.changed.send_modify(|n| *n += 1);
        let target = Caller {
            scope: revoked.scope,
            device: Some((revoked.id, revoked.name.clone())),
            remote: caller.remote.clone(),
        };
        self.audit(
            AuditKind::Revoked,
            Some(&target),
            "revoked with the main token; its sessions and sockets ended".into(),
        )
        .await;
        Ok(revoked)
    }

    /// Replaces the main token in settings.json and here; every cookie session and every socket
    /// opened with the old token ends.
    ///
    /// # Errors
    /// settings.json cannot be written (nothing changed then).
    pub async fn rotate(&self, caller: &Caller) -> Result<api::TokenRotated, CoreError> {
        let home = self.home.clone();
        let token = tokio::task::spawn_blocking(move || crate::settings::rotate_token(&home))
            .await
            .map_err(|e| CoreError::Internal(Box::new(e)))?
            .map_err(|e| CoreError::Internal(Box::new(e)))?;
        let before = self.live_sockets.load(Ordering::Relaxed);
        {
            let mut main = self.main.write().unwrap_or_else(|p| p.into_inner());
            main.token = token;
            main.generation += 1;
        }
        self.changed.send_modify(|n| *n += 1);
        // Give the sockets' watchers a moment to close, so the count says what happened.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = self.live_sockets.load(Ordering::Relaxed);
        self.audit(AuditKind::TokenRotated, Some(caller), "main token replaced; every browser session ended".into())
            .await;
        Ok(api::TokenRotated {
            sockets_closed: before.saturating_sub(after),
            settings_path: crate::settings::settings_path(&self.home).display().to_string(),
        })
    }

    /// A new session cookie value for `subject`.
    pub fn new_session(&self, subject: Subject) -> Option<String> {
        session::new_session(&self.main_token(), subject)
    }

    pub async fn list(&self) -> Result<Vec<api::DeviceInfo>, CoreError> {
        Ok(self.store.list_devices().await.map_err(store_error)?.iter().map(device_info).collect())
    }

    pub async fn audit_page(&self, before: Option<i64>, limit: usize) -> Result<Vec<api::AuditEntryInfo>, CoreError> {
        let entries = self.store.audit_before(before, limit).await.map_err(store_error)?;
        Ok(entries
            .into_iter()
            .map(|e| api::AuditEntryInfo {
                id: e.id,
                at: e.at,
                kind: e.kind.as_str().to_owned(),
                device_id: e.device.map(|d| d.0),
                device_name: e.device_name,
                remote: e.remote,
                detail: e.detail,
            })
            .collect())
    }
}

/// A live socket, counted until dropped.
pub struct SocketCount(Arc<Access>);

impl Drop for SocketCount {
    fn drop(&mut self) {
        self.0.live_sockets.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The API's view of [`Access`].
pub struct ApiAccess(pub Arc<Access>);

#[async_trait::async_trait]
impl crate::rpc::Access for ApiAccess {
    async fn pair(&self, caller: &Caller, name: &str, scope: Option<&str>) -> Result<api::Pairing, CoreError> {
        self.0.start_pairing(caller, name, scope).await
    }
    async fn devices(&self) -> Result<Vec<api::DeviceInfo>, CoreError> {
        self.0.list().await
    }
    async fn revoke(&self, caller: &Caller, device: &str) -> Result<api::DeviceInfo, CoreError> {
        Ok(device_info(&self.0.revoke_device(caller, device).await?))
    }
    async fn audit(&self, before: Option<i64>, limit: usize) -> Result<Vec<api::AuditEntryInfo>, CoreError> {
        self.0.audit_page(before, limit).await
    }
    async fn rotate(&self, caller: &Caller) -> Result<api::TokenRotated, CoreError> {
        self.0.rotate(caller).await
    }
    fn refused(&self, caller: &Caller, detail: String) {
        self.0.refusal(AuditKind::Refused, Some(caller.clone()), detail);
    }
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

    async fn access(ttl: Duration) -> (Arc<Access>, Arc<band_testkit::memory::MemoryStore>) {
        let store = Arc::new(band_testkit::memory::MemoryStore::new());
        let mut access =
            Access::load(PathBuf::from("/nonexistent"), "t".repeat(64), store.clone()).await.expect("load");
        access.pairing_ttl = ttl;
        access.set_port(3456);
        (Arc::new(access), store)
    }

    fn main_caller() -> Caller {
        Caller { scope: Scope::Admin, device: None, remote: None }
    }

    #[tokio::test]
    async fn a_pairing_code_expires_and_an_expired_one_is_refused_like_a_wrong_one() {
        let (access, store) = access(Duration::from_millis(200)).await;
        let late = access.start_pairing(&main_caller(), "phone", Some("read")).await.expect("pair");
        let fresh_before = now_ms();
        assert!(late.expires_at >= fresh_before + 100 && late.expires_at <= fresh_before + 200, "{}", late.expires_at);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let err = access.redeem(&late.code, None).await.expect_err("an expired code");
        assert!(err.to_string().contains("wrong, was already used or has expired"), "{err}");
        assert!(store.list_devices().await.expect("devices").is_empty(), "no device from an expired code");

        // In time: a device; the same code again: refused.
        let timely = access.start_pairing(&main_caller(), "phone", Some("control")).await.expect("pair");
        let (device, token) = access.redeem(&timely.code, None).await.expect("redeem in time");
        assert_eq!((device.name.as_str(), device.scope, token.len()), ("phone", Scope::Control, 64));
        assert!(access.redeem(&timely.code, None).await.is_err(), "single use");
    }

    #[tokio::test]
    async fn a_flood_of_refusals_records_thirty_a_minute_and_then_how_many_were_left_out() {
        let (access, store) = access(PAIRING_TTL).await;
        for _ in 0..100 {
            access.refusal(AuditKind::Refused, None, "a wrong token".into());
        }
        let entries = |n| {
            let store = store.clone();
            async move {
                for _ in 0..100 {
                    let all = store.audit_before(None, 1000).await.expect("audit");
                    if all.len() >= n {
                        return all;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                store.audit_before(None, 1000).await.expect("audit")
            }
        };
        let recorded = entries(REFUSALS_PER_MINUTE as usize).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(store.audit_before(None, 1000).await.expect("audit").len(), REFUSALS_PER_MINUTE as usize);
        assert!(recorded.iter().all(|e| e.detail == "a wrong token"), "{recorded:?}");

        // The next window's first entry says how many the last one left out.
        access.refusals.lock().expect("lock").start = Some(Instant::now() - Duration::from_secs(61));
        access.refusal(AuditKind::Refused, None, "a wrong token".into());
        let after = entries(REFUSALS_PER_MINUTE as usize + 1).await;
        assert_eq!(after[0].detail, "a wrong token (70 more refusals were not recorded)");
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
