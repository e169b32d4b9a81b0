//! The access part of the storage contract: every documented rule of
//! [`DeviceStore`](band_core::ports::DeviceStore) and [`AuditLog`](band_core::ports::AuditLog), as
//! stories.

use band_core::{AUDIT_KEEP, AuditKind, DeviceId, NewAuditEntry, NewDevice, Scope};

use super::{FullStore, assert_duplicate, assert_not_found, now, ok};

fn device(name: &str, scope: Scope, hash: char) -> NewDevice {
    NewDevice { name: crate::names::device_name(name), scope, token_hash: hash.to_string().repeat(64) }
}

fn entry(kind: AuditKind, detail: &str) -> NewAuditEntry {
    NewAuditEntry { kind, device: None, device_name: None, remote: None, detail: detail.into() }
}

pub async fn devices_are_stored_with_their_hash_and_scope<S: FullStore>(store: &S) {
    assert_eq!(ok(store.list_devices().await), vec![], "a new store has no device");
    let before = now();
    let phone = ok(store.insert_device(device("phone", Scope::Read, 'a')).await);
    let laptop = ok(store.insert_device(device("laptop", Scope::Control, 'b')).await);
    let after = now();
    assert_ne!(phone.id, laptop.id);
    assert_eq!((phone.name.as_str(), phone.scope, phone.token_hash.as_str()), ("phone", Scope::Read, &*"a".repeat(64)));
    assert_eq!(laptop.scope, Scope::Control);
    for d in [&phone, &laptop] {
        assert!((before..=after).contains(&d.created_at), "created_at is the insertion time: {d:?}");
        assert_eq!((d.last_seen_at, d.revoked_at), (None, None), "new devices are unseen and not revoked");
    }
    assert_eq!(ok(store.list_devices().await), vec![phone, laptop], "listed by id, as returned");
}

pub async fn a_token_hash_belongs_to_one_device<S: FullStore>(store: &S) {
    ok(store.insert_device(device("phone", Scope::Read, 'a')).await);
    assert_duplicate(store.insert_device(device("tablet", Scope::Control, 'a')).await, "a device with that token");
    assert_eq!(ok(store.list_devices().await).len(), 1, "a refused insert writes nothing");
    // Names need not be unique: two phones may both be called "phone".
    ok(store.insert_device(device("phone", Scope::Read, 'c')).await);
}

pub async fn last_seen_only_moves_forward<S: FullStore>(store: &S) {
    let d = ok(store.insert_device(device("phone", Scope::Read, 'a')).await);
    ok(store.touch_device(d.id, 2_000).await);
    ok(store.touch_device(d.id, 1_000).await);
    assert_eq!(ok(store.list_devices().await)[0].last_seen_at, Some(2_000), "never backwards");
    ok(store.touch_device(d.id, 3_000).await);
    assert_eq!(ok(store.list_devices().await)[0].last_seen_at, Some(3_000));
}

pub async fn revoking_keeps_the_device_and_its_first_revocation_time<S: FullStore>(store: &S) {
    let a = ok(store.insert_device(device("phone", Scope::Read, 'a')).await);
    let b = ok(store.insert_device(device("laptop", Scope::Control, 'b')).await);
    let before = now();
    let revoked = ok(store.revoke_device(a.id).await);
    let after = now();
    let at = revoked.revoked_at.expect("revoked_at is set");
    assert!((before..=after).contains(&at), "revoked now: {at} in {before}..={after}");
    assert_eq!(revoked.token_hash, a.token_hash);
    let again = ok(store.revoke_device(a.id).await);
    assert_eq!(again.revoked_at, Some(at), "a second revocation keeps the first time");
    let list = ok(store.list_devices().await);
    assert_eq!(list.len(), 2, "revoked devices stay listed");
    assert_eq!(list[1], b, "other devices are untouched");
}

pub async fn missing_devices_are_not_found<S: FullStore>(store: &S) {
    assert_not_found(store.revoke_device(DeviceId(42)).await, "device 42");
    assert_not_found(store.touch_device(DeviceId(42), 1).await, "device 42");
}

pub async fn the_audit_log_pages_newest_first<S: FullStore>(store: &S) {
    assert_eq!(ok(store.audit_before(None, 10).await), vec![]);
    let before = now();
    let mut written = Vec::new();
    for (i, kind) in AuditKind::ALL.into_iter().enumerate() {
        let mut e = entry(kind, &format!("event {i}"));
        if i == 1 {
            e.device = Some(DeviceId(7));
            e.device_name = Some("phone".into());
            e.remote = Some("127.0.0.1:5000".into());
        }
        written.push(ok(store.append_audit(e).await));
    }
    let after = now();
    for pair in written.windows(2) {
        assert!(pair[1].id > pair[0].id, "ids increase");
    }
    for e in &written {
        assert!((before..=after).contains(&e.at), "at is the time it was appended: {e:?}");
    }
    assert_eq!((written[1].device, written[1].device_name.as_deref()), (Some(DeviceId(7)), Some("phone")));
    assert_eq!(written[1].remote.as_deref(), Some("127.0.0.1:5000"));
    let newest: Vec<_> = written.iter().rev().cloned().collect();
    assert_eq!(ok(store.audit_before(None, 100).await), newest, "everything, newest first, as written");
    assert_eq!(ok(store.audit_before(None, 2).await), newest[..2].to_vec(), "limit");
    let page = ok(store.audit_before(Some(newest[1].id), 3).await);
    assert_eq!(page, newest[2..5].to_vec(), "before pages back from an id, excluding it");
}

pub async fn the_audit_log_keeps_only_the_newest_entries<S: FullStore>(store: &S) {
    let total = AUDIT_KEEP + 5;
    let mut last = None;
    for i in 0..total {
        last = Some(ok(store.append_audit(entry(AuditKind::Refused, &format!("n{i}"))).await));
    }
    let all = ok(store.audit_before(None, total + 10).await);
    assert_eq!(all.len(), AUDIT_KEEP, "the oldest entries beyond {AUDIT_KEEP} are pruned");
    assert_eq!(all.first(), last.as_ref(), "the newest is kept");
    assert_eq!(all.last().map(|e| e.detail.as_str()), Some("n5"), "exactly the oldest five went");
}
