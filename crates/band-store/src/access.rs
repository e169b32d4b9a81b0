//! [`DeviceStore`] on the `devices` table and [`AuditLog`] on the `audit` table. A device row
//! holds its token's hash, never the token; the audit table is pruned to the newest
//! [`AUDIT_KEEP`] entries in the transaction of each append.

use async_trait::async_trait;
use band_core::ports::{AuditLog, DeviceStore};
use band_core::{
    AUDIT_KEEP, AuditEntry, AuditKind, Device, DeviceId, DeviceName, Millis, NewAuditEntry, NewDevice, Scope,
    StoreError,
};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, unique_violation};
use crate::schema::{audit, devices};
use crate::{SqliteStore, now, transaction};

#[derive(Queryable, Selectable)]
#[diesel(table_name = devices, check_for_backend(diesel::sqlite::Sqlite))]
struct DeviceRow {
    id: i64,
    name: String,
    scope: String,
    token_hash: String,
    created_at: i64,
    last_seen_at: Option<i64>,
    revoked_at: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = devices)]
struct NewDeviceRow {
    name: String,
    scope: String,
    token_hash: String,
    created_at: i64,
}

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;

    fn try_from(row: DeviceRow) -> Result<Self, StoreError> {
        Ok(Device {
            id: DeviceId(row.id),
            scope: Scope::for_device(&row.scope).map_err(|e| corrupt_row("devices", row.id, e))?,
            name: DeviceName::new(&row.name).map_err(|e| corrupt_row("devices", row.id, e.to_string()))?,
            token_hash: row.token_hash,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            revoked_at: row.revoked_at,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit, check_for_backend(diesel::sqlite::Sqlite))]
struct AuditRow {
    id: i64,
    at: i64,
    kind: String,
    device_id: Option<i64>,
    device_name: Option<String>,
    remote: Option<String>,
    detail: String,
}

#[derive(Insertable)]
#[diesel(table_name = audit)]
struct NewAuditRow {
    at: i64,
    kind: String,
    device_id: Option<i64>,
    device_name: Option<String>,
    remote: Option<String>,
    detail: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        Ok(AuditEntry {
            id: row.id,
            at: row.at,
            kind: AuditKind::parse(&row.kind)
                .ok_or_else(|| corrupt_row("audit", row.id, format!("kind '{}'", row.kind)))?,
            device: row.device_id.map(DeviceId),
            device_name: row.device_name,
            remote: row.remote,
            detail: row.detail,
        })
    }
}

fn device_not_found(id: DeviceId) -> StoreError {
    StoreError::NotFound(format!("device {}", id.0))
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn insert_device(&self, new: NewDevice) -> Result<Device, StoreError> {
        let row = NewDeviceRow {
            name: new.name.to_string(),
            scope: new.scope.as_str().to_owned(),
            token_hash: new.token_hash,
            created_at: now(),
        };
        self.write(move |conn| {
            diesel::insert_into(devices::table)
                .values(&row)
                .returning(DeviceRow::as_returning())
                .get_result(conn)
                .map_err(|e| match unique_violation(&e) {
                    Some("devices.token_hash") => StoreError::Duplicate("a device with that token".into()),
                    _ => from_diesel(e),
                })
        })
        .await?
        .try_into()
    }

    async fn list_devices(&self) -> Result<Vec<Device>, StoreError> {
        let rows = self
            .read(|conn| {
                devices::table.select(DeviceRow::as_select()).order(devices::id.asc()).load(conn).map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(Device::try_from).collect()
    }

    async fn touch_device(&self, id: DeviceId, at: Millis) -> Result<(), StoreError> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                let seen: Option<Option<i64>> = devices::table
                    .find(id.0)
                    .select(devices::last_seen_at)
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)?;
                let Some(seen) = seen else { return Err(device_not_found(id)) };
                if seen.is_none_or(|s| s < at) {
                    diesel::update(devices::table.find(id.0))
                        .set(devices::last_seen_at.eq(at))
                        .execute(conn)
                        .map_err(from_diesel)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn revoke_device(&self, id: DeviceId) -> Result<Device, StoreError> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                diesel::update(devices::table.find(id.0).filter(devices::revoked_at.is_null()))
                    .set(devices::revoked_at.eq(now()))
                    .execute(conn)
                    .map_err(from_diesel)?;
                devices::table
                    .find(id.0)
                    .select(DeviceRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)?
                    .ok_or_else(|| device_not_found(id))
            })
        })
        .await?
        .try_into()
    }
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let row = NewAuditRow {
            at: now(),
            kind: entry.kind.as_str().to_owned(),
            device_id: entry.device.map(|d| d.0),
            device_name: entry.device_name,
            remote: entry.remote,
            detail: entry.detail,
        };
        let keep = i64::try_from(AUDIT_KEEP).unwrap_or(i64::MAX);
        self.write(move |conn| {
            transaction(conn, |conn| {
                let stored = diesel::insert_into(audit::table)
                    .values(&row)
                    .returning(AuditRow::as_returning())
                    .get_result(conn)
                    .map_err(from_diesel)?;
                // Ids increase and are never reused: everything at or below (newest - keep) goes.
                diesel::delete(audit::table.filter(audit::id.le(stored.id - keep)))
                    .execute(conn)
                    .map_err(from_diesel)?;
                Ok(stored)
            })
        })
        .await?
        .try_into()
    }

    async fn audit_before(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .read(move |conn| {
                let mut q =
                    audit::table.select(AuditRow::as_select()).order(audit::id.desc()).limit(limit).into_boxed();
                if let Some(before) = before {
                    q = q.filter(audit::id.lt(before));
                }
                q.load(conn).map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
