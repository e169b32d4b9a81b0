//! The access service's policy, on an in-memory store with a clock the test moves: pairing codes
//! expire and are single use, refusals are rate-limited, revocation and rotation end credentials,
//! scopes refuse with a fix.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use band_core::ports::{AuditLog, Background, Clock, DeviceStore, MainTokenStore, Notice, Secrets};
use band_core::services::{Access, AccessPorts, Caller, access::REFUSALS_PER_MINUTE};
use band_core::*;
use band_testkit::events::RecordingSink;
use band_testkit::memory::MemoryStore;
use band_testkit::names::device_name;

struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// Deterministic secrets: counting "random" values, and a reversible "hash" a test can read.
#[derive(Default)]
struct TestSecrets(AtomicI64);

impl Secrets for TestSecrets {
    fn random_hex(&self, bytes: usize) -> Result<String, CoreError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        Ok(format!("{n:0width$x}", width = bytes * 2))
    }
    fn hash(&self, secret: &str) -> String {
        format!("h:{secret}")
    }
    fn same(&self, a: &str, b: &str) -> bool {
        a == b
    }
}

struct TestToken(Mutex<u32>);

#[async_trait::async_trait]
impl MainTokenStore for TestToken {
    async fn rotate(&self) -> Result<String, CoreError> {
        let mut n = self.0.lock().expect("lock");
        *n += 1;
        Ok(format!("main-{n}"))
    }
    fn location(&self) -> String {
        "/home/settings.json".into()
    }
}

/// Runs background work at once (the test awaits nothing later).
struct Inline;

impl Background for Inline {
    fn spawn(&self, task: futures_util::future::BoxFuture<'static, ()>) {
        futures_util::FutureExt::now_or_never(task);
    }
}

struct World {
    access: Access,
    store: Arc<MemoryStore>,
    clock: Arc<TestClock>,
    sink: Arc<RecordingSink>,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(TestClock(AtomicI64::new(1_000_000)));
    let sink = Arc::new(RecordingSink::default());
    let ports = AccessPorts {
        devices: store.clone(),
        audit: store.clone(),
        secrets: Arc::new(TestSecrets::default()),
        clock: clock.clone(),
        main_token: Arc::new(TestToken(Mutex::new(0))),
        background: Arc::new(Inline),
        events: sink.clone(),
    };
    let access = Access::load(ports, "main-0".into(), None).await.expect("load");
    access.set_local_base("http://127.0.0.1:3456".into());
    World { access, store, clock, sink }
}

fn main_caller() -> Caller {
    Caller { scope: Scope::Admin, device: None, remote: None }
}

#[tokio::test]
async fn a_pairing_code_expires_is_single_use_and_mints_a_hashed_device_token() {
    let w = world().await;
    let late = w.access.start_pairing(&main_caller(), device_name("phone"), Scope::Read).await.expect("pair");
    assert_eq!(late.expires_at, 1_000_000 + 10 * 60 * 1000);
    assert_eq!(late.url, format!("http://127.0.0.1:3456/?pair={}", late.code));
    w.clock.0.fetch_add(10 * 60 * 1000, Ordering::SeqCst);
    let e = w.access.redeem(&late.code, None).await.expect_err("expired");
    assert!(matches!(&e, CoreError::InvalidInput(p) if p.what.contains("wrong, was already used or has expired")));
    assert_eq!(e.problem().and_then(|p| p.fix.clone()), Some(Fix::NewPairingCode));
    assert!(w.store.list_devices().await.expect("devices").is_empty(), "no device from an expired code");

    let timely = w.access.start_pairing(&main_caller(), device_name("tablet"), Scope::Control).await.expect("pair");
    let (device, token) = w.access.redeem(&timely.code, None).await.expect("redeem in time");
    assert_eq!((device.name.as_str(), device.scope), ("tablet", Scope::Control));
    assert_eq!(device.token_hash, format!("h:{token}"), "only the hash is stored");
    assert!(w.access.redeem(&timely.code, None).await.is_err(), "single use");
    let (caller, _) = w.access.bearer(&token, None).expect("the device's token works");
    assert_eq!(caller.scope, Scope::Control);

    let e = w.access.start_pairing(&main_caller(), device_name("x"), Scope::Admin).await.expect_err("admin");
    assert!(e.to_string().contains("main token's"), "{e}");
}

#[tokio::test]
async fn a_flood_of_refusals_records_thirty_a_minute_and_then_how_many_were_left_out() {
    let w = world().await;
    for _ in 0..100 {
        w.access.refusal(AuditKind::Refused, None, "a wrong token".into());
    }
    let recorded = w.store.audit_before(None, 1000).await.expect("audit");
    assert_eq!(recorded.len(), REFUSALS_PER_MINUTE as usize);
    assert!(recorded.iter().all(|e| e.detail == "a wrong token"), "{recorded:?}");

    // The next minute's first entry says how many the last one left out.
    w.clock.0.fetch_add(61_000, Ordering::SeqCst);
    w.access.refusal(AuditKind::Refused, None, "a wrong token".into());
    let after = w.store.audit_before(None, 1000).await.expect("audit");
    assert_eq!(after[0].detail, "a wrong token (70 more refusals were not recorded)");
}

#[tokio::test]
async fn a_devices_repeated_refusal_folds_into_one_row_an_hour_that_counts_the_rest() {
    let w = world().await;
    let phone = Caller { scope: Scope::Control, device: Some((DeviceId(7), device_name("phone"))), remote: None };
    for _ in 0..50 {
        w.access.refusal(AuditKind::Refused, Some(phone.clone()), "GET /rpc: 401".into());
        w.clock.0.fetch_add(10_000, Ordering::SeqCst);
    }
    w.access.refusal(AuditKind::Refused, Some(phone.clone()), "POST /rpc: 401".into());
    let recorded = w.store.audit_before(None, 1000).await.expect("audit");
    let rows: Vec<(&str, Option<&str>)> =
        recorded.iter().map(|e| (e.detail.as_str(), e.device_name.as_deref())).collect();
    assert_eq!(rows, [("POST /rpc: 401", Some("phone")), ("GET /rpc: 401", Some("phone"))]);
    // An hour after the first, the next one is recorded and counts those folded meanwhile.
    w.clock.0.fetch_add(3_600_000, Ordering::SeqCst);
    w.access.refusal(AuditKind::Refused, Some(phone), "GET /rpc: 401".into());
    let after = w.store.audit_before(None, 1000).await.expect("audit");
    assert_eq!(after[0].detail, "GET /rpc: 401 (and 49 more times in the hour before)");
}

#[tokio::test]
async fn revocation_and_rotation_end_credentials_and_are_announced() {
    let w = world().await;
    let p = w.access.start_pairing(&main_caller(), device_name("phone"), Scope::Read).await.expect("pair");
    let (device, token) = w.access.redeem(&p.code, None).await.expect("redeem");
    let (_, device_credential) = w.access.bearer(&token, None).expect("device");
    let (_, main_credential) = w.access.bearer("main-0", None).expect("main");
    let (_, session) = w.access.session(None, None).expect("a main-token browser session");
    w.sink.take();

    w.access.revoke(&main_caller(), "phone").await.expect("revoke by name");
    assert!(!w.access.valid(&device_credential) && w.access.bearer(&token, None).is_none());
    assert!(w.access.valid(&main_credential), "the main token stays");
    assert!(matches!(w.sink.take().as_slice(), [Notice::AccessChanged]));
    let e = w.access.revoke(&main_caller(), "ghost").await.expect_err("unknown");
    assert_eq!(e.problem().and_then(|p| p.fix.clone()), Some(Fix::SeeList(ListOf::Devices)));

    let at = w.access.rotate(&main_caller()).await.expect("rotate");
    assert_eq!(at, "/home/settings.json");
    assert!(!w.access.valid(&main_credential) && !w.access.valid(&session), "the old token and sessions end");
    assert!(w.access.bearer("main-0", None).is_none() && w.access.bearer("main-1", None).is_some());
    let kinds: Vec<AuditKind> = w.store.audit_before(None, 100).await.expect("audit").iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [AuditKind::TokenRotated, AuditKind::Revoked, AuditKind::Paired, AuditKind::PairingStarted]);
    assert_eq!(device.id, w.store.list_devices().await.expect("devices")[0].id);
}

#[test]
fn a_scope_too_small_is_refused_with_what_would_fix_it() {
    let phone = Caller { scope: Scope::Read, device: Some((DeviceId(3), device_name("phone"))), remote: None };
    let p = phone.allows("chats.send", Scope::Control).expect_err("read < control");
    assert_eq!(p.what, "this device ('phone') has read access; chats.send needs control access");
    assert_eq!(p.fix, Some(Fix::PairAgain { scope: Scope::Control }));
    let p = phone.allows("devices.list", Scope::Admin).expect_err("admin");
    assert_eq!(p.fix, Some(Fix::UseMainToken));
    assert!(main_caller().allows("token.rotate", Scope::Admin).is_ok());
}
