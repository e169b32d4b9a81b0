//! The OpenRPC 1.3 document, built from [`crate::METHODS`] and [`crate::SUBSCRIPTIONS`].

use crate::{METHODS, SUBSCRIPTIONS};

/// The OpenRPC 1.3 document for [`METHODS`]. Params are by name: each field of a method's params
/// type is one OpenRPC param.
pub fn openrpc() -> serde_json::Value {
    use serde_json::{Value, json};
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "#/components/schemas/".into())
        .into_generator();
    let mut methods = Vec::new();
    for m in METHODS {
        let params_schema = (m.params)(&mut generator);
        let result_schema = (m.result)(&mut generator);
        let params_schema = resolve(&generator, params_schema.to_value());
        let required: Vec<&str> = params_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let params: Vec<Value> = params_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(name, schema)| {
                        let mut p =
                            json!({"name": name, "required": required.contains(&name.as_str()), "schema": schema});
                        if let Some(d) = schema.get("description") {
                            p["description"] = d.clone();
                        }
                        p
                    })
                    .collect()
            })
            .unwrap_or_default();
        methods.push(json!({
            "name": m.name,
            "summary": m.summary,
            "x-scope": m.scope.as_str(),
            "paramStructure": "by-name",
            "params": params,
            "result": {"name": "result", "schema": result_schema.to_value()},
        }));
    }
    let subscriptions: Vec<Value> = SUBSCRIPTIONS
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "summary": s.summary,
                "x-scope": s.scope.as_str(),
                "notification": s.notification,
                "unsubscribe": s.unsubscribe,
                "params": (s.params)(&mut generator).to_value(),
                "item": (s.item)(&mut generator).to_value(),
            })
        })
        .collect();
    // Every error's `data` (the kind, the facts, the fix as data), so clients can type it.
    let error_data = generator.subschema_for::<crate::ErrorData>().to_value();
    let schemas = generator.take_definitions(true);
    json!({
        "openrpc": "1.3.2",
        "info": {"title": "band", "version": env!("CARGO_PKG_VERSION"),
                 "description": "band-server's JSON-RPC 2.0 API, over HTTP POST and WebSocket at /rpc. Subscriptions (x-subscriptions) need the WebSocket."},
        "methods": methods,
        "x-subscriptions": subscriptions,
        "x-error-data": error_data,
        "components": {"schemas": schemas},
    })
}

/// Follows a top-level `$ref` into the generator's definitions.
fn resolve(generator: &schemars::SchemaGenerator, schema: serde_json::Value) -> serde_json::Value {
    match schema.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.rsplit('/').next()) {
        Some(name) => generator.definitions().get(name).cloned().unwrap_or(schema),
        None => schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::*;

    #[test]
    fn every_method_and_subscription_is_classified_and_access_itself_is_admin() {
        let doc = openrpc();
        for m in
            doc["methods"].as_array().expect("methods").iter().chain(doc["x-subscriptions"].as_array().expect("subs"))
        {
            assert!(["read", "control", "admin"].contains(&m["x-scope"].as_str().unwrap_or_default()), "{}", m["name"]);
        }
        let scope = |name: &str| METHODS.iter().find(|m| m.name == name).map(|m| m.scope);
        for admin in [
            "devices.pair",
            "devices.list",
            "devices.revoke",
            "audit.list",
            "audit.actions",
            "policy.set",
            "token.rotate",
        ] {
            assert_eq!(scope(admin), Some(Scope::Admin), "{admin}");
        }
        for control in ["chats.send", "chats.respond", "chats.stop", "terminals.create", "terminals.send", "layout.set"]
        {
            assert_eq!(scope(control), Some(Scope::Control), "{control}");
        }
        for read in ["chats.list", "chats.events", "workspaces.diff", "files.read", "terminals.output"] {
            assert_eq!(scope(read), Some(Scope::Read), "{read}");
        }
        assert!(SUBSCRIPTIONS.iter().all(|s| s.scope == Scope::Read));
    }

    #[test]
    fn method_names_are_unique_and_namespaced() {
        let mut names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate method names");
        assert!(names.iter().all(|n| n.contains('.')), "{names:?}");
    }

    #[test]
    fn openrpc_describes_every_method_with_its_params() {
        let doc = openrpc();
        let methods = doc["methods"].as_array().expect("methods");
        assert_eq!(methods.len(), METHODS.len());
        let create = methods.iter().find(|m| m["name"] == "workspaces.create").expect("workspaces.create");
        let params: Vec<(&str, bool)> = create["params"]
            .as_array()
            .expect("params")
            .iter()
            .map(|p| (p["name"].as_str().unwrap_or_default(), p["required"].as_bool().unwrap_or_default()))
            .collect();
        assert_eq!(
            params,
            vec![
                ("agent", false),
                ("base", false),
                ("branch", false),
                ("direct", false),
                ("mode", false),
                ("model", false),
                ("pr", false),
                ("project", true),
                ("prompt", false),
                ("via", false)
            ]
        );
        let subs = doc["x-subscriptions"].as_array().expect("subscriptions");
        assert_eq!(subs.len(), SUBSCRIPTIONS.len());
        assert_eq!(subs[0]["notification"], "chats.event");
        assert!(subs[0]["item"]["$ref"].as_str().is_some_and(|r| r.ends_with("/EventInfo")));
        // Results refer to shared component schemas, which exist.
        let r = create["result"]["schema"]["$ref"].as_str().expect("a $ref");
        let name = r.rsplit('/').next().unwrap_or_default();
        assert!(doc["components"]["schemas"][name].is_object(), "{r} missing");
        assert!(doc["components"]["schemas"]["WorkspaceCreated"]["properties"]["branch"].is_object());
    }

    /// The dashboard's copy of this API (`web/src/api/openrpc.json`), from which its TypeScript
    /// types are generated (`npm run gen:types` in web/, checked by its own test), must be this
    /// one. `BAND_WRITE_SCHEMA=1 cargo test -p band-api` rewrites it.
    #[test]
    fn the_dashboard_copy_of_the_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src/api/openrpc.json");
        let mut want = serde_json::to_string_pretty(&openrpc()).expect("json");
        want.push('\n');
        if std::env::var_os("BAND_WRITE_SCHEMA").is_some_and(|v| v == "1") {
            std::fs::write(&path, &want).expect("write web/src/api/openrpc.json");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "web/src/api/openrpc.json is stale: run `BAND_WRITE_SCHEMA=1 cargo test -p band-api`, \
             then `npm run gen:types` in web/, and commit both"
        );
    }

    #[test]
    fn layouts_are_described_as_objects() {
        let doc = openrpc();
        let methods = doc["methods"].as_array().expect("methods");
        let set = methods.iter().find(|m| m["name"] == "layout.set").expect("layout.set");
        let layout = set["params"].as_array().expect("params").iter().find(|p| p["name"] == "layout").expect("layout");
        assert_eq!((layout["required"].as_bool(), layout["schema"]["type"].as_str()), (Some(true), Some("object")));
        let info = &doc["components"]["schemas"]["LayoutInfo"]["properties"]["layout"];
        assert!(info.to_string().contains("object") && info.to_string().contains("null"), "{info}");
    }

    #[test]
    fn params_reject_unknown_fields_and_wire_names_are_camel_case() {
        let e = serde_json::from_str::<WorkspacesCreateParams>(r#"{"project":"a","branch":"b","bse":"x"}"#)
            .expect_err("unknown field");
        assert!(e.to_string().contains("unknown field `bse`"), "{e}");
        let info =
            ProjectInfo { id: 1, name: "a".into(), path: "/a".into(), default_branch: "main".into(), created_at: 5 };
        let v = serde_json::to_value(info).expect("json");
        assert_eq!(v["defaultBranch"], "main");
        assert_eq!(v["createdAt"], 5);
    }
}
