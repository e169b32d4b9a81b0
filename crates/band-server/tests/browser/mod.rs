//! The browser's way in (SECURITY.md 5, 6, 8, 10, 20): the token link becomes a session cookie,
//! the cookie alone is held to stricter rules than the header, and the dashboard's files are
//! served from inside their directory only.

use serde_json::json;

use crate::support::{TestServer, websocket};

fn nav(s: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("host", s.host()),
        ("sec-fetch-mode", "navigate".into()),
        ("sec-fetch-dest", "document".into()),
        ("accept", "text/html".into()),
    ]
}

/// Signs in with the token link; returns the cookie pair (`name=value`).
async fn sign_in(s: &TestServer) -> String {
    let r = s.http("GET", &format!("/workspaces/3?tab=chat&token={}", s.token), &nav(s), "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.headers["location"], "/workspaces/3?tab=chat", "the token leaves the URL");
    let cookie = r.headers["set-cookie"].to_str().expect("cookie").to_owned();
    let name = format!("band_session_{}=", s.addr.port());
    assert!(cookie.starts_with(&name), "{cookie}");
    for attr in ["Path=/", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain") && !cookie.contains("Secure"), "host-only, plain http: {cookie}");
    assert!(!cookie.contains(&s.token), "the cookie is not the token");
    cookie.split(';').next().expect("pair").to_owned()
}

fn rpc_body() -> &'static str {
    r#"{"jsonrpc":"2.0","id":1,"method":"projects.list"}"#
}

#[tokio::test]
async fn the_token_link_becomes_a_session_cookie_held_to_browser_rules() {
    let s = TestServer::start().await;
    let cookie = sign_in(&s).await;
    let with = |extra: &[(&'static str, String)]| {
        let mut h = vec![("host", s.host()), ("cookie", cookie.clone())];
        h.extend_from_slice(extra);
        h
    };
    let json = ("content-type", "application/json".to_owned());

    // The page and same-origin API calls work with the cookie alone.
    assert_eq!(s.http("GET", "/", &with(&[]), "").await.status, 200);
    let r = s.http("POST", "/rpc", &with(&[json.clone(), ("origin", s.origin())]), rpc_body()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A state change without an Origin, or from another one, is refused; so is a form post.
    let r = s.http("POST", "/rpc", &with(&[json.clone()]), rpc_body()).await;
    assert_eq!((r.status, r.error().contains("must carry its Origin")), (403, true), "{}", r.body);
    let r = s.http("POST", "/rpc", &with(&[json.clone(), ("origin", "http://evil.example".into())]), rpc_body()).await;
    assert_eq!(r.status, 403);
    let form = ("content-type", "application/x-www-form-urlencoded".to_owned());
    let r = s.http("POST", "/rpc", &with(&[form, ("origin", s.origin())]), rpc_body()).await;
    assert_eq!(r.status, 415);
    // WebSocket: with the cookie and our Origin yes; with the cookie and no Origin, never.
    assert!(websocket(s.addr, &[("cookie", cookie.clone()), ("origin", s.origin())]).await.is_ok());
    assert_eq!(websocket(s.addr, &[("cookie", cookie.clone())]).await.err(), Some(403));
    assert_eq!(websocket(s.addr, &[("cookie", cookie.clone()), ("origin", "null".into())]).await.err(), Some(403));

    // A forged, doubled or foreign cookie is nothing.
    let forged = format!("band_session_{}=v1.{}.{}", s.addr.port(), "0".repeat(32), "0".repeat(64));
    let r = s.http("GET", "/", &[("host", s.host()), ("cookie", forged)], "").await;
    assert_eq!(r.status, 401);
    let doubled = format!("{cookie}; {cookie}");
    let r = s.http("GET", "/", &[("host", s.host()), ("cookie", doubled)], "").await;
    assert_eq!((r.status, r.error()), (401, "more than one session cookie".to_owned()));
    let other_port = cookie.replacen(&s.addr.port().to_string(), "1", 1);
    assert_eq!(s.http("GET", "/", &[("host", s.host()), ("cookie", other_port)], "").await.status, 401);
    s.stop().await;
}

#[tokio::test]
async fn the_token_is_taken_from_a_url_only_when_opening_a_page() {
    let s = TestServer::start().await;
    // Wrong token: refused, with a page for a person.
    let r = s.http("GET", "/?token=nope", &nav(&s), "").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("<h1>band</h1>") && r.body.contains("invalid token in the link"), "{}", r.body);
    assert!(r.headers.get("set-cookie").is_none());
    // Not a navigation: an API call, a fetch, a WebSocket.
    let r = s
        .http(
            "POST",
            &format!("/rpc?token={}", s.token),
            &[("host", s.host()), ("content-type", "application/json".into())],
            rpc_body(),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.error().contains("Authorization: Bearer"));
    let fetch = [("host", s.host()), ("sec-fetch-mode", "cors".to_owned())];
    assert_eq!(s.http("GET", &format!("/?token={}", s.token), &fetch, "").await.status, 400);
    let r = s.http("GET", &format!("/rpc?token={}", s.token), &nav(&s), "").await;
    assert_eq!(r.status, 400);
    // No open redirect: the Location always stays on this origin.
    for path in ["//evil.example/x", "/\\evil.example/x"] {
        let r = s.http("GET", &format!("{path}?token={}", s.token), &nav(&s), "").await;
        assert_eq!(r.status, 303, "{path}");
        let loc = r.headers["location"].to_str().expect("location");
        assert!(loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\"), "{path} -> {loc}");
    }
    // Without anything, a browser gets a page that says what to do.
    let r = s.http("GET", "/", &nav(&s), "").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Open the link"));
    assert!(!r.body.contains(&s.token));
    s.stop().await;
}

#[tokio::test]
async fn replacing_the_token_ends_every_browser_session() {
    let s = TestServer::start().await;
    let cookie = sign_in(&s).await;
    let TestServer { home, running, .. } = s;
    running.expect("running").stop().await.expect("stop");
    // Delete the token: the next start makes a new one (the README's rotation).
    let path = home.path().join("settings.json");
    let mut settings: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    settings.as_object_mut().expect("object").remove("tokenSecret");
    std::fs::write(&path, settings.to_string()).expect("write");
    let s = TestServer::start_in(home).await;
    // Same port number is not guaranteed; rename the cookie to this server's port.
    let value = cookie.split_once('=').map(|(_, v)| v).expect("value");
    let cookie = format!("band_session_{}={value}", s.addr.port());
    let r = s.http("GET", "/", &[("host", s.host()), ("cookie", cookie)], "").await;
    assert_eq!(r.status, 401);
    assert!(r.error().contains("session has ended"), "{}", r.body);
    s.stop().await;
}

#[tokio::test]
async fn the_dashboard_is_served_from_inside_its_directory_only() {
    let web = tempfile::tempdir().expect("web");
    std::fs::create_dir_all(web.path().join("assets")).expect("mkdir");
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>band dashboard</title>").expect("index");
    std::fs::write(web.path().join("assets/app-1234.js"), "console.log('band')").expect("js");
    std::os::unix::fs::symlink("/etc/passwd", web.path().join("assets/passwd.js")).expect("symlink");
    let s = TestServer::start_full(tempfile::tempdir().expect("home"), None, Some(web.path().to_owned())).await;
    let auth = [("host", s.host()), ("authorization", format!("Bearer {}", s.token))];

    let r = s.http("GET", "/", &auth, "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("band dashboard"));
    let csp = r.headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors 'self'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    // The dashboard's own routes are its page.
    assert!(s.http("GET", "/workspaces/7/chat", &auth, "").await.body.contains("band dashboard"));
    let r = s.http("GET", "/assets/app-1234.js", &auth, "").await;
    assert_eq!((r.status, r.body.as_str()), (200, "console.log('band')"));
    assert!(r.headers["content-type"].to_str().expect("ct").starts_with("text/javascript"));
    assert!(r.headers["cache-control"].to_str().expect("cc").contains("immutable"));
    for escape in [
        "/assets/missing.js",
        "/assets/passwd.js",
        "/../settings.json",
        "/%2e%2e/settings.json",
        "/assets/..%2f..%2fetc/passwd",
    ] {
        let r = s.http("GET", escape, &auth, "").await;
        assert!(!r.body.contains("root:"), "{escape} leaked a file");
        assert!(r.status == 404 || r.body.contains("band dashboard"), "{escape}: {} {}", r.status, r.body);
    }
    s.stop().await;
}

#[tokio::test]
async fn without_a_built_dashboard_the_page_says_how_to_build_it() {
    let s = TestServer::start().await;
    let r = s.http("GET", "/", &[("host", s.host()), ("authorization", format!("Bearer {}", s.token))], "").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("./scripts/run.sh"), "{}", r.body);
    let _ = json!({});
    s.stop().await;
}
