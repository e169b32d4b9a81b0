//! Browser sessions (SECURITY.md 5-6): `GET /page?token=...` (a top-level navigation) sets a
//! session cookie and redirects (303) to the same path without the token; afterwards the browser
//! is known by the cookie alone, and the token never sits in its history, its WebSocket URLs or
//! band's logs.
//!
//! The cookie's value is `v1.<nonce>.<mac>`: a random nonce and its HMAC-SHA256 keyed by the
//! token, never the token itself. Sessions therefore survive a restart, and replacing the token
//! ends every one of them. The cookie is `HttpOnly; SameSite=Strict; Path=/`, host-only (no
//! `Domain`), `Secure` when the page was reached over https, and named after the port, so two
//! servers on one host never share it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a browser session lasts.
pub const MAX_AGE_SECS: u64 = 30 * 24 * 3600;

pub fn cookie_name(port: u16) -> String {
    format!("band_session_{port}")
}

fn mac(token: &str, nonce: &str) -> Option<String> {
    let mut m = HmacSha256::new_from_slice(token.as_bytes()).ok()?;
    m.update(b"band-session-v1:");
    m.update(nonce.as_bytes());
    Some(m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect())
}

/// A new session cookie value.
pub fn new_session(token: &str) -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    let nonce: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("v1.{nonce}.{}", mac(token, &nonce)?))
}

/// Whether `value` is a session minted with `token` (constant-time comparison of the MAC).
pub fn valid(token: &str, value: &str) -> bool {
    let mut parts = value.splitn(3, '.');
    let (Some("v1"), Some(nonce), Some(given)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let Some(expected) = mac(token, nonce) else { return false };
    use subtle::ConstantTimeEq;
    !token.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// The `Set-Cookie` header for a new session.
pub fn set_cookie(port: u16, value: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={MAX_AGE_SECS}{secure}", cookie_name(port))
}

/// The values of every cookie named `name` in the request's Cookie headers.
pub fn cookies<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .collect()
}

/// `path?query` without the `token` parameter, as a same-origin path: never `//host` (which a
/// browser would read as another site).
pub fn without_token(path: &str, query: Option<&str>) -> String {
    // Leading slashes and backslashes both go: browsers read `//x` and `/\x` as another host.
    let mut location = format!("/{}", path.trim_start_matches(['/', '\\']));
    let rest: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && *p != "token" && !p.starts_with("token="))
        .collect();
    if !rest.is_empty() {
        location.push('?');
        location.push_str(&rest.join("&"));
    }
    location
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_verify_only_with_the_token_that_made_them() {
        let token = "a".repeat(64);
        let s = new_session(&token).expect("session");
        assert!(valid(&token, &s));
        assert!(!valid(&"b".repeat(64), &s), "a rotated token ends the session");
        assert!(!s.contains(&token), "the cookie is not the token");
        assert_ne!(new_session(&token), Some(s.clone()));
        let (head, mac) = s.rsplit_once('.').expect("parts");
        assert!(!valid(&token, &format!("{head}.{}", "0".repeat(mac.len()))));
        for junk in ["", "v1", "v1..", "v2.x.y", &token, "v1.zz.zz"] {
            assert!(!valid(&token, junk), "{junk:?}");
        }
        assert!(!valid("", &s));
    }

    #[test]
    fn the_cookie_is_strict_http_only_and_named_after_the_port() {
        let c = set_cookie(3456, "v1.x.y", false);
        assert_eq!(c, "band_session_3456=v1.x.y; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
        assert!(set_cookie(1, "v", true).ends_with("; Secure"));
        assert!(!c.contains("Domain"));
    }

    #[test]
    fn redirects_stay_on_this_origin_and_drop_only_the_token() {
        assert_eq!(without_token("/", Some("token=abc")), "/");
        assert_eq!(without_token("/w/3", Some("token=abc&tab=chat")), "/w/3?tab=chat");
        assert_eq!(without_token("//evil.example/x", Some("token=a")), "/evil.example/x");
        assert_eq!(without_token("/\\evil.example", Some("token=a")), "/evil.example");
        assert_eq!(without_token("/a", Some("a=1&token&b=2")), "/a?a=1&b=2");
    }
}
