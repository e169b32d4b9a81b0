//! Browser sessions (SECURITY.md 5-6): `GET /page?token=...` (a top-level navigation) sets a
//! session cookie and redirects (303) to the same path without the token; afterwards the browser
//! is known by the cookie alone, and the token never sits in its history, its WebSocket URLs or
//! band's logs.
//!
//! The cookie's value is `v2.<subject>.<nonce>.<mac>`: whose session it is (`m` for the main
//! token, `d<id>` for a paired device), a random nonce and the HMAC-SHA256 of both keyed by the
//! main token, never a token itself. Sessions therefore survive a restart; replacing the main
//! token ends every one of them, and revoking a device ends its own (the guard checks the
//! device). `v1.<nonce>.<mac>` cookies from before devices existed are main-token sessions. The cookie is `HttpOnly; SameSite=Strict; Path=/`, host-only (no
//! `Domain`), `Secure` when the page was reached over https, and named after the port, so two
//! servers on one host never share it.

use crate::secrets;

/// How long a browser session lasts.
pub const MAX_AGE_SECS: u64 = 30 * 24 * 3600;

pub fn cookie_name(port: u16) -> String {
    format!("band_session_{port}")
}

fn mac(token: &str, nonce: &str) -> Option<String> {
    secrets::hmac_hex(token, &[b"band-session-v1:", nonce.as_bytes()])
}

/// Whose browser session a cookie is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Signed in with the main token's link.
    Main,
    /// Signed in by redeeming a pairing code: the device's id.
    Device(i64),
}

impl Subject {
    fn text(self) -> String {
        match self {
            Self::Main => "m".into(),
            Self::Device(id) => format!("d{id}"),
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "m" => Some(Self::Main),
            d => d
                .strip_prefix('d')
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
                .map(Self::Device),
        }
    }
}

/// A new session cookie value for `subject`, keyed by the main token.
pub fn new_session(token: &str, subject: Subject) -> Option<String> {
    let nonce = secrets::random_hex(16).ok()?;
    let subject = subject.text();
    Some(format!("v2.{subject}.{nonce}.{}", mac(token, &format!("{subject}:{nonce}"))?))
}

/// Whose session `value` is, if it was minted with `token` (constant-time comparison of the MAC).
pub fn verify(token: &str, value: &str) -> Option<Subject> {
    let parts: Vec<&str> = value.split('.').collect();
    let (subject, nonce, given, signed) = match parts.as_slice() {
        ["v1", nonce, given] => (Subject::Main, *nonce, *given, (*nonce).to_owned()),
        ["v2", subject, nonce, given] => (Subject::parse(subject)?, *nonce, *given, format!("{subject}:{nonce}")),
        _ => return None,
    };
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) || token.is_empty() {
        return None;
    }
    let expected = mac(token, &signed)?;
    secrets::same(&expected, given).then_some(subject)
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
    without_param(path, query, "token")
}

/// `path?query` without the parameter `name`, as a same-origin path (see [`without_token`]).
pub fn without_param(path: &str, query: Option<&str>, name: &str) -> String {
    // Leading slashes and backslashes both go: browsers read `//x` and `/\x` as another host.
    let mut location = format!("/{}", path.trim_start_matches(['/', '\\']));
    let rest: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && *p != name && p.strip_prefix(name).is_none_or(|rest| !rest.starts_with('=')))
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
        let s = new_session(&token, Subject::Main).expect("session");
        assert_eq!(verify(&token, &s), Some(Subject::Main));
        assert_eq!(verify(&"b".repeat(64), &s), None, "a rotated token ends the session");
        assert!(!s.contains(&token), "the cookie is not the token");
        assert_ne!(new_session(&token, Subject::Main), Some(s.clone()));
        let (head, mac) = s.rsplit_once('.').expect("parts");
        assert_eq!(verify(&token, &format!("{head}.{}", "0".repeat(mac.len()))), None);
        for junk in ["", "v1", "v1..", "v2.x.y", &token, "v1.zz.zz", "v2.m.a.b"] {
            assert_eq!(verify(&token, junk), None, "{junk:?}");
        }
        assert_eq!(verify("", &s), None);
        // A device's session names the device, and cannot be turned into another's.
        let d = new_session(&token, Subject::Device(7)).expect("session");
        assert_eq!(verify(&token, &d), Some(Subject::Device(7)));
        assert_eq!(verify(&token, &d.replacen(".d7.", ".d8.", 1)), None);
        assert_eq!(verify(&token, &d.replacen(".d7.", ".m.", 1)), None);
        // A v1 cookie (before devices) is still a main-token session.
        let nonce = "ab".repeat(16);
        let v1 = format!("v1.{nonce}.{}", super::mac(&token, &nonce).expect("mac"));
        assert_eq!(verify(&token, &v1), Some(Subject::Main));
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
        assert_eq!(without_param("/", Some("pair=abc&tokenx=1"), "pair"), "/?tokenx=1");
        assert_eq!(without_token("/", Some("tokenx=1")), "/?tokenx=1");
    }
}
