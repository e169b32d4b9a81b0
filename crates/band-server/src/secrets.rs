//! The one place band-server makes secrets: random bytes from the operating system, as hex
//! ([`random_hex`]), SHA-256 and HMAC-SHA256 as hex ([`sha256_hex`], [`hmac_hex`]), and
//! constant-time comparison ([`same`]). Tokens, device tokens, pairing codes and session nonces
//! all come from here; [`OsSecrets`] offers it to band-core's access service as its port.

use band_core::CoreError;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// `n` random bytes from the operating system, as lowercase hex (`2n` characters).
///
/// # Errors
/// No random source (the caller mints nothing then).
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)?;
    Ok(hex(&buf))
}

/// Lowercase hex SHA-256 of `secret`.
pub fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Lowercase hex HMAC-SHA256 of `parts` (concatenated) keyed by `key`; `None` only for a key
/// HMAC cannot take (none: any length is valid).
pub fn hmac_hex(key: &str, parts: &[&[u8]]) -> Option<String> {
    let mut m = Hmac::<Sha256>::new_from_slice(key.as_bytes()).ok()?;
    for p in parts {
        m.update(p);
    }
    Some(hex(&m.finalize().into_bytes()))
}

/// Whether `a` and `b` are equal, in time independent of their content (lengths are not secret).
pub fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The access service's [`band_core::ports::Secrets`].
#[derive(Debug, Default)]
pub struct OsSecrets;

impl band_core::ports::Secrets for OsSecrets {
    fn random_hex(&self, bytes: usize) -> Result<String, CoreError> {
        random_hex(bytes).map_err(|e| CoreError::Internal(Box::new(std::io::Error::other(e.to_string()))))
    }

    fn hash(&self, secret: &str) -> String {
        sha256_hex(secret)
    }

    fn same(&self, a: &str, b: &str) -> bool {
        same(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_macs_are_lowercase_hex() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_hex("Jefe", &[b"what do ya want ", b"for nothing?"]).as_deref(),
            Some("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }

    #[test]
    fn random_hex_has_the_asked_length_and_differs() {
        let (a, b) = (random_hex(32).expect("random"), random_hex(32).expect("random"));
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()) && !same(&a, &b) && !same(&a, &a[..63]));
    }
}
