//! Who may do what: the [`Scope`] a credential carries, the paired [`Device`]s and the audit
//! log's entries. The tokens themselves never reach this crate: a device is stored with the
//! SHA-256 of its token (hex), computed at the edge that minted it.

use crate::model::Millis;
use crate::names::DeviceName;

/// What a credential may do. Ordered: each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Watch: lists, gets, subscriptions, diffs, files, terminal output.
    Read,
    /// Act: send messages, answer permissions, stop, create and remove, terminals, layouts.
    Control,
    /// Manage access itself: devices, the audit log, token rotation, tunnels. Only the main token.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Control => "control",
            Self::Admin => "admin",
        }
    }

    /// Parses a scope a device may be given (`read` or `control`); `admin` belongs to the main
    /// token alone.
    ///
    /// # Errors
    /// A message naming the value and the choices.
    pub fn for_device(text: &str) -> Result<Self, String> {
        match text {
            "read" => Ok(Self::Read),
            "control" => Ok(Self::Control),
            "admin" => Err("a device cannot have admin access (that is the main token's); use read or control".into()),
            other => {
                Err(format!("unknown scope '{other}'; use read (watch only) or control (send, approve, terminals)"))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(pub i64);

/// A paired device. `token_hash` is the lowercase hex SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub name: DeviceName,
    pub scope: Scope,
    pub token_hash: String,
    pub created_at: Millis,
    pub last_seen_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub name: DeviceName,
    pub scope: Scope,
    pub token_hash: String,
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A pairing code was issued.
    PairingStarted,
    /// A pairing code was redeemed: a device exists.
    Paired,
    /// A pairing code was wrong, used or expired.
    RedeemFailed,
    /// A browser signed in with the main token link.
    SignedIn,
    /// A request was refused: no, a wrong or a revoked credential (401), or too little scope (403).
    Refused,
    Revoked,
    TokenRotated,
}

impl AuditKind {
    pub const ALL: [Self; 7] = [
        Self::PairingStarted,
        Self::Paired,
        Self::RedeemFailed,
        Self::SignedIn,
        Self::Refused,
        Self::Revoked,
        Self::TokenRotated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PairingStarted => "pairing_started",
            Self::Paired => "paired",
            Self::RedeemFailed => "redeem_failed",
            Self::SignedIn => "signed_in",
            Self::Refused => "refused",
            Self::Revoked => "revoked",
            Self::TokenRotated => "token_rotated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One entry of the audit log. `detail` never holds a token or a pairing code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Millis,
    pub kind: AuditKind,
    pub device: Option<DeviceId>,
    pub device_name: Option<String>,
    /// The peer's address as the server saw it (never from forwarded headers).
    pub remote: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub kind: AuditKind,
    pub device: Option<DeviceId>,
    pub device_name: Option<String>,
    pub remote: Option<String>,
    pub detail: String,
}

/// How many audit entries a store keeps; older ones are pruned as new ones come.
pub const AUDIT_KEEP: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_ordered_and_devices_never_get_admin() {
        assert!(Scope::Read < Scope::Control && Scope::Control < Scope::Admin);
        assert_eq!(Scope::for_device("read"), Ok(Scope::Read));
        assert_eq!(Scope::for_device("control"), Ok(Scope::Control));
        assert!(Scope::for_device("admin").unwrap_err().contains("main token"));
        assert!(Scope::for_device("write").unwrap_err().contains("unknown scope 'write'"));
    }

    #[test]
    fn audit_kinds_round_trip() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(AuditKind::parse("nope"), None);
    }
}
