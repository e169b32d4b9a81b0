//! Who may do what, as policy: the main token, paired devices with their scopes, pairing codes,
//! revocation, rotation, and the audit of all of it. The HTTP edge (band-server's guard and
//! session cookies) asks this service; randomness, hashing, time and the settings file are
//! ports ([`Secrets`], [`Clock`], [`MainTokenStore`]), so the rules here are tested without them.
//!
//! - The main token is `admin`; [`Access::rotate`] replaces it, and every credential that
//!   depended on it (the token itself, every browser session) ends.
//! - A device token is 32 random bytes, minted when a pairing code is redeemed and kept only as
//!   its hash (in the store, mirrored here for the guard), with the scope `read` or `control`;
//!   [`Access::revoke`] ends it at once. Device tokens survive a rotation.
//! - Pairing codes are 128 random bits, single use, valid for [`PAIRING_TTL_MS`], kept in memory
//!   only (a restart forgets them), at most [`MAX_PENDING`] at once.
//! - Every auth event is audited; refusals are recorded at most [`REFUSALS_PER_MINUTE`] times a
//!   minute (the rest counted and mentioned in the next one), so a flood cannot grow the database
//!   or slow its writer. No token or code is ever written to the audit log.
//! - A revocation or rotation publishes [`Notice::AccessChanged`]: sockets re-check their
//!   credential with [`Access::valid`] and close when it ended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::access::{AuditEntry, AuditKind, Device, DeviceId, NewAuditEntry, NewDevice, Scope};
use crate::error::{CoreError, Fix, ListOf, Problem};
use crate::model::Millis;
use crate::names::DeviceName;
use crate::ports::{AuditLog, Background, Clock, DeviceStore, EventSink, MainTokenStore, Notice, Secrets};
use crate::services::Tunnels;

/// How long a pairing code can be redeemed.
pub const PAIRING_TTL_MS: Millis = 10 * 60 * 1000;
/// How often a device's last-seen time is written at most.
pub const SEEN_EVERY_MS: Millis = 60 * 1000;
/// Refusals recorded in the audit log per minute at most; the rest are counted.
pub const REFUSALS_PER_MINUTE: u32 = 30;

/// How long the same refusal again is only counted, not recorded (an hour).
pub const REFUSAL_FOLD_MS: Millis = 3_600_000;

/// Distinct refusals remembered for folding; beyond that the memory starts over.
const MAX_FOLDS: usize = 4096;
/// Pairing codes waiting at once at most (each is 10 minutes of memory).
pub const MAX_PENDING: usize = 64;

/// Who is calling, as the edge established it from a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub scope: Scope,
    /// The paired device, when the credential is a device's (else the main token).
    pub device: Option<(DeviceId, DeviceName)>,
    /// The peer's address, for the audit log only: never a source of trust.
    pub remote: Option<String>,
}

impl Caller {
    /// Whether this caller may do `what`, which needs `needs`; else the refusal's problem (what
    /// the credential has, what it needs, and how to get it).
    ///
    /// # Errors
    /// The problem, for a refusal the edge maps (JSON-RPC -32004, HTTP 403).
    pub fn allows(&self, what: &str, needs: Scope) -> Result<(), Problem> {
        if self.scope >= needs {
            return Ok(());
        }
        let who = match &self.device {
            Some((_, name)) => format!("this device ('{name}') has {} access", self.scope.as_str()),
            None => format!("this credential has {} access", self.scope.as_str()),
        };
        let problem = Problem::new(format!("{who}; {what} needs {} access", needs.as_str()));
        Err(match needs {
            Scope::Admin => problem.fix(Fix::UseMainToken),
            scope => problem.fix(Fix::PairAgain { scope }),
        })
    }
}

/// What a request's credential was, for as long as a socket it opened lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The device whose token or session it was; `None` for the main token.
    pub device: Option<DeviceId>,
    /// The main token's generation it depends on: set for the main token and for every browser
    /// session (sessions are keyed by the main token), so a rotation ends it.
    pub generation: Option<u64>,
}

/// A pairing started: a one-time code, and the URL that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    pub name: DeviceName,
    pub scope: Scope,
    pub code: String,
    /// The dashboard's address (the tunnel's while one runs) with `?pair=<code>`.
    pub url: String,
    pub expires_at: Millis,
}

/// What the access service needs.
pub struct AccessPorts {
    pub devices: Arc<dyn DeviceStore>,
    pub audit: Arc<dyn AuditLog>,
    pub secrets: Arc<dyn Secrets>,
    pub clock: Arc<dyn Clock>,
    pub main_token: Arc<dyn MainTokenStore>,
    pub background: Arc<dyn Background>,
    pub events: Arc<dyn EventSink>,
}

struct DeviceEntry {
    id: DeviceId,
    name: DeviceName,
    scope: Scope,
    revoked: bool,
}

struct Pending {
    name: DeviceName,
    scope: Scope,
    expires_at: Millis,
}

struct Main {
    token: String,
    generation: u64,
}

#[derive(Default)]
struct RefusalWindow {
    start: Option<Millis>,
    recorded: u32,
    dropped: u32,
}

struct Inner {
    ports: AccessPorts,
    main: RwLock<Main>,
    /// By token hash.
    devices: RwLock<HashMap<String, DeviceEntry>>,
    /// By the code's hash.
    pending: Mutex<HashMap<String, Pending>>,
    seen: Mutex<HashMap<DeviceId, Millis>>,
    refusals: Mutex<RefusalWindow>,
    /// Refusals recorded lately, by kind, device and detail: when, and how often since.
    folds: Mutex<HashMap<String, (Millis, u32)>>,
    /// Where pairing URLs point: the tunnel's URL while one runs, else this base.
    local_base: RwLock<String>,
    tunnels: Option<Tunnels>,
    pairing_ttl: Millis,
}

/// The access service. Cheap to clone.
#[derive(Clone)]
pub struct Access {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Access {
    /// Loads the devices; `main_token` is the current main token, `tunnels` (when given) says
    /// where a paired device reaches band while a tunnel runs.
    ///
    /// An empty main token matches nothing (band-server refuses to start without one).
    ///
    /// # Errors
    /// The store's.
    pub async fn load(ports: AccessPorts, main_token: String, tunnels: Option<Tunnels>) -> Result<Self, CoreError> {
        let devices = ports
            .devices
            .list_devices()
            .await?
            .into_iter()
            .map(|d| {
                let entry = DeviceEntry { id: d.id, name: d.name, scope: d.scope, revoked: d.revoked_at.is_some() };
                (d.token_hash, entry)
            })
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                ports,
                main: RwLock::new(Main { token: main_token, generation: 0 }),
                devices: RwLock::new(devices),
                pending: Mutex::default(),
                seen: Mutex::default(),
                refusals: Mutex::default(),
                folds: Mutex::default(),
                local_base: RwLock::new(String::new()),
                tunnels,
                pairing_ttl: PAIRING_TTL_MS,
            }),
        })
    }

    /// With another pairing lifetime (tests).
    #[must_use]
    pub fn with_pairing_ttl(self, ttl: Millis) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.pairing_ttl = ttl;
                Self { inner: Arc::new(inner) }
            }
            Err(inner) => Self { inner },
        }
    }

    /// This server's own address, for pairing URLs when no tunnel runs (`http://127.0.0.1:PORT`).
    pub fn set_local_base(&self, base: String) {
        *write(&self.inner.local_base) = base;
    }

    /// Where a paired device reaches the dashboard: the tunnel's public URL while one runs, else
    /// this server's own address.
    pub fn public_base(&self) -> String {
        if let Some(crate::TunnelState::Running { url, .. }) = self.inner.tunnels.as_ref().map(Tunnels::status) {
            return url.to_string().trim_end_matches('/').to_owned();
        }
        read(&self.inner.local_base).clone()
    }

    /// The main token (the edge keys its session cookies with it).
    pub fn main_token(&self) -> String {
        read(&self.inner.main).token.clone()
    }

    fn generation(&self) -> u64 {
        read(&self.inner.main).generation
    }

    /// A bearer token: the main token or a device's. `None` for anything else (a revoked
    /// device's included).
    pub fn bearer(&self, token: &str, remote: Option<String>) -> Option<(Caller, Credential)> {
        {
            let main = read(&self.inner.main);
            // Constant time in the candidate's content; lengths are not secret (always 64).
            if !main.token.is_empty() && self.inner.ports.secrets.same(&main.token, token) {
                let caller = Caller { scope: Scope::Admin, device: None, remote };
                return Some((caller, Credential { device: None, generation: Some(main.generation) }));
            }
        }
        // A hash lookup: the hash of a guess reveals nothing about stored hashes.
        let hash = self.inner.ports.secrets.hash(token);
        let devices = read(&self.inner.devices);
        let d = devices.get(&hash).filter(|d| !d.revoked)?;
        self.seen(d.id);
        let caller = Caller { scope: d.scope, device: Some((d.id, d.name.clone())), remote };
        Some((caller, Credential { device: Some(d.id), generation: None }))
    }

    /// A revoked device's caller, for naming it in the audit of what it still tries: by its id
    /// (a session cookie the edge verified) or its token. `None` for anything else.
    pub fn revoked_caller(&self, device: Option<i64>, token: Option<&str>, remote: Option<String>) -> Option<Caller> {
        let devices = read(&self.inner.devices);
        let d = match (device, token) {
            (Some(id), _) => devices.values().find(|d| d.id.0 == id && d.revoked)?,
            (None, Some(token)) => devices.get(&self.inner.ports.secrets.hash(token)).filter(|d| d.revoked)?,
            (None, None) => return None,
        };
        Some(Caller { scope: d.scope, device: Some((d.id, d.name.clone())), remote })
    }

    /// The caller of a browser session the edge verified: the main token's (`None`) or a
    /// device's, for the main token's current generation. `None` when the device is revoked.
    pub fn session(&self, device: Option<i64>, remote: Option<String>) -> Option<(Caller, Credential)> {
        let generation = Some(self.generation());
        match device {
            None => {
                Some((Caller { scope: Scope::Admin, device: None, remote }, Credential { device: None, generation }))
            }
            Some(id) => {
                let devices = read(&self.inner.devices);
                let d = devices.values().find(|d| d.id.0 == id && !d.revoked)?;
                self.seen(d.id);
                Some((
                    Caller { scope: d.scope, device: Some((d.id, d.name.clone())), remote },
                    Credential { device: Some(d.id), generation },
                ))
            }
        }
    }

    /// Records that a device was seen, writing at most every [`SEEN_EVERY_MS`], in the
    /// background.
    fn seen(&self, id: DeviceId) {
        let now = self.inner.ports.clock.now_ms();
        {
            let mut seen = lock(&self.inner.seen);
            if seen.get(&id).is_some_and(|last| now - *last < SEEN_EVERY_MS) {
                return;
            }
            seen.insert(id, now);
        }
        let store = self.inner.ports.devices.clone();
        self.inner.ports.background.spawn(Box::pin(async move {
            // A failure costs a last-seen time, nothing else; the next request tries again later.
            let _ = store.touch_device(id, now).await;
        }));
    }

    /// Whether `credential` is still good.
    pub fn valid(&self, credential: &Credential) -> bool {
        if credential.generation.is_some_and(|g| g != self.generation()) {
            return false;
        }
        match credential.device {
            None => true,
            Some(id) => read(&self.inner.devices).values().any(|d| d.id == id && !d.revoked),
        }
    }

    /// Appends to the audit log; a failure costs the entry, never the request.
    pub async fn audit(&self, kind: AuditKind, caller: Option<&Caller>, detail: String) {
        let (device, device_name) = match caller.and_then(|c| c.device.clone()) {
            Some((id, name)) => (Some(id), Some(name.to_string())),
            None => (None, None),
        };
        let entry = NewAuditEntry { kind, device, device_name, remote: caller.and_then(|c| c.remote.clone()), detail };
        let _ = self.inner.ports.audit.append_audit(entry).await;
    }

    /// A refusal, recorded in the background unless more than [`REFUSALS_PER_MINUTE`] came this
    /// minute (those are counted and mentioned in the next one recorded). Never waits.
    ///
    /// A device's repeats fold: the same refusal (kind, device, detail) again within
    /// [`REFUSAL_FOLD_MS`] of the one recorded is only counted, and the next one recorded after
    /// that says how many times it came meanwhile. A tab that keeps knocking costs a row an hour.
    pub fn refusal(&self, kind: AuditKind, caller: Option<Caller>, detail: String) {
        let now = self.inner.ports.clock.now_ms();
        let device = caller.as_ref().and_then(|c| c.device.as_ref()).map(|d| d.0);
        let key = format!("{}|{:?}|{detail}", kind.as_str(), device);
        let repeats = if device.is_none() {
            0 // anonymous knocks are rate-limited below instead
        } else {
            let mut folds = lock(&self.inner.folds);
            match folds.get_mut(&key) {
                Some((at, count)) if now - *at < REFUSAL_FOLD_MS => {
                    *count += 1;
                    return;
                }
                Some(entry) => std::mem::replace(entry, (now, 0)).1,
                None => {
                    if folds.len() >= MAX_FOLDS {
                        folds.retain(|_, (at, _)| now - *at < REFUSAL_FOLD_MS);
                    }
                    folds.insert(key, (now, 0));
                    0
                }
            }
        };
        let detail = match repeats {
            0 => detail,
            n => format!("{detail} (and {n} more time{} in the hour before)", if n == 1 { "" } else { "s" }),
        };
        let detail = {
            let mut w = lock(&self.inner.refusals);
            if w.start.is_none_or(|s| now - s >= 60_000) {
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
        self.inner.ports.background.spawn(Box::pin(async move { access.audit(kind, caller.as_ref(), detail).await }));
    }

    /// Starts pairing a device called `name` with `scope` (read or control).
    ///
    /// # Errors
    /// `InvalidInput` for admin scope; `Refused` with too many pairings waiting.
    pub async fn start_pairing(&self, caller: &Caller, name: DeviceName, scope: Scope) -> Result<Pairing, CoreError> {
        if scope == Scope::Admin {
            return Err(CoreError::InvalidInput(
                "a device cannot have admin access (that is the main token's); use read or control".into(),
            ));
        }
        let code = self.inner.ports.secrets.random_hex(16)?;
        let now = self.inner.ports.clock.now_ms();
        let expires_at = now + self.inner.pairing_ttl;
        {
            let mut pending = lock(&self.inner.pending);
            pending.retain(|_, p| p.expires_at > now);
            if pending.len() >= MAX_PENDING {
                return Err(CoreError::Refused(
                    format!("{MAX_PENDING} pairing codes are waiting; use one or wait for them to expire (10 minutes)")
                        .into(),
                ));
            }
            let p = Pending { name: name.clone(), scope, expires_at };
            pending.insert(self.inner.ports.secrets.hash(&code), p);
        }
        let url = format!("{}/?pair={code}", self.public_base());
        let detail = format!("pairing code issued for '{name}' with {} access", scope.as_str());
        self.audit(AuditKind::PairingStarted, Some(caller), detail).await;
        Ok(Pairing { name, scope, code, url, expires_at })
    }

    /// Redeems a pairing code: the new device and its token (shown this once).
    ///
    /// # Errors
    /// `InvalidInput` for a wrong, used or expired code (audited, rate-limited).
    pub async fn redeem(&self, code: &str, remote: Option<String>) -> Result<(Device, String), CoreError> {
        let now = self.inner.ports.clock.now_ms();
        let found = lock(&self.inner.pending).remove(&self.inner.ports.secrets.hash(code.trim()));
        let Some(p) = found.filter(|p| p.expires_at > now) else {
            let caller = Caller { scope: Scope::Read, device: None, remote };
            self.refusal(AuditKind::RedeemFailed, Some(caller), "a wrong, used or expired pairing code".into());
            return Err(CoreError::InvalidInput(
                Problem::new("this pairing code is wrong, was already used or has expired (codes last 10 minutes)")
                    .fix(Fix::NewPairingCode),
            ));
        };
        let token = self.inner.ports.secrets.random_hex(32)?;
        let token_hash = self.inner.ports.secrets.hash(&token);
        let device = self
            .inner
            .ports
            .devices
            .insert_device(NewDevice { name: p.name, scope: p.scope, token_hash: token_hash.clone() })
            .await?;
        write(&self.inner.devices).insert(
            token_hash,
            DeviceEntry { id: device.id, name: device.name.clone(), scope: device.scope, revoked: false },
        );
        let caller = Caller { scope: device.scope, device: Some((device.id, device.name.clone())), remote };
        let detail =
            format!("paired with {} access (code issued to expire at {})", device.scope.as_str(), p.expires_at);
        self.audit(AuditKind::Paired, Some(&caller), detail).await;
        Ok((device, token))
    }

    /// Revokes a device by id or by the name of exactly one device not yet revoked.
    ///
    /// # Errors
    /// `NotFound` for no such device; `InvalidInput` for a name shared by several.
    pub async fn revoke(&self, caller: &Caller, which: &str) -> Result<Device, CoreError> {
        let which = which.trim();
        let all = self.inner.ports.devices.list_devices().await?;
        let device = match which.parse::<i64>() {
            Ok(id) => all.into_iter().find(|d| d.id.0 == id),
            Err(_) => {
                let mut named: Vec<Device> =
                    all.into_iter().filter(|d| d.name.as_str() == which && d.revoked_at.is_none()).collect();
                if named.len() > 1 {
                    let ids: Vec<String> = named.iter().map(|d| d.id.0.to_string()).collect();
                    return Err(CoreError::InvalidInput(
                        format!(
                            "{} devices are called '{which}' (ids {}); revoke one by its id",
                            named.len(),
                            ids.join(", ")
                        )
                        .into(),
                    ));
                }
                named.pop()
            }
        };
        let Some(device) = device else {
            return Err(CoreError::NotFound(
                Problem::new(format!("no device '{which}'")).fix(Fix::SeeList(ListOf::Devices)),
            ));
        };
        let revoked = self.inner.ports.devices.revoke_device(device.id).await?;
        if let Some(d) = write(&self.inner.devices).get_mut(&revoked.token_hash) {
            d.revoked = true;
        }
        self.inner.ports.events.publish(Notice::AccessChanged);
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

    /// Replaces the main token (in its store, then here): every browser session and every socket
    /// opened with the old token ends. Returns where the new token is.
    ///
    /// # Errors
    /// The token cannot be written (nothing changed then).
    pub async fn rotate(&self, caller: &Caller) -> Result<String, CoreError> {
        let token = self.inner.ports.main_token.rotate().await?;
        {
            let mut main = write(&self.inner.main);
            main.token = token;
            main.generation += 1;
        }
        self.inner.ports.events.publish(Notice::AccessChanged);
        self.audit(AuditKind::TokenRotated, Some(caller), "main token replaced; every browser session ended".into())
            .await;
        Ok(self.inner.ports.main_token.location())
    }

    /// Every paired device, revoked ones included.
    ///
    /// # Errors
    /// The store's.
    pub async fn devices(&self) -> Result<Vec<Device>, CoreError> {
        Ok(self.inner.ports.devices.list_devices().await?)
    }

    /// A page of the audit log, newest first: entries older than `before`, at most `limit`
    /// (1 to 1000).
    ///
    /// # Errors
    /// The store's.
    pub async fn audit_page(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, CoreError> {
        Ok(self.inner.ports.audit.audit_before(before, limit.clamp(1, 1000)).await?)
    }
}
