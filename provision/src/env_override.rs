//! `WEFT_…` environment overrides for any key of a TOML config: the key path
//! upper-cased with `.` → `_` (`listen.grpc` → `WEFT_LISTEN_GRPC`,
//! `resources.memory_mb` → `WEFT_RESOURCES_MEMORY_MB`). The value is read as
//! the type the file has there (string, integer, float, bool, or a TOML
//! array like `["peer"]`).

use toml::Value;

/// Applies overrides from `lookup` (the environment, in production) to every
/// key present in `value`; returns the variables used, for the startup log.
pub(crate) fn apply(value: &mut Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Vec<String>, String> {
    let mut used = Vec::new();
    walk(value, "WEFT", lookup, &mut used)?;
    Ok(used)
}

fn walk(
    value: &mut Value,
    name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    used: &mut Vec<String>,
) -> Result<(), String> {
    if let Value::Table(table) = value {
        for (key, v) in table.iter_mut() {
            walk(v, &format!("{name}_{}", key.to_ascii_uppercase()), lookup, used)?;
        }
        return Ok(());
    }
    let Some(raw) = lookup(name) else { return Ok(()) };
    let bad = |what: &str| format!("{name}={raw:?} is not {what}");
    *value = match value {
        Value::String(_) => Value::String(raw.clone()),
        Value::Integer(_) => Value::Integer(raw.trim().parse().map_err(|_| bad("an integer"))?),
        Value::Float(_) => Value::Float(raw.trim().parse().map_err(|_| bad("a number"))?),
        Value::Boolean(_) => Value::Boolean(raw.trim().parse().map_err(|_| bad("true or false"))?),
        _ => {
            let parsed: toml::Table = toml::from_str(&format!("v = {raw}")).map_err(|_| bad("a TOML value"))?;
            parsed.get("v").cloned().ok_or_else(|| bad("a TOML value"))?
        }
    };
    used.push(name.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn nested_keys_map_to_upper_snake_names_and_keep_their_types() {
        let mut v: Value = toml::from_str(
            "node_id = 'a'\nroles = ['peer']\n[listen]\ngrpc = 'x:1'\n[resources]\ncpu = 1.0\nmemory_mb = 10\n",
        )
        .unwrap();
        let vars = [
            ("WEFT_LISTEN_GRPC", "0.0.0.0:9"),
            ("WEFT_RESOURCES_MEMORY_MB", "2048"),
            ("WEFT_RESOURCES_CPU", "2.5"),
            ("WEFT_ROLES", r#"["peer", "orderer"]"#),
        ];
        let used = apply(&mut v, &env(&vars)).unwrap();
        assert_eq!(used.len(), 4);
        assert_eq!(v["listen"]["grpc"].as_str(), Some("0.0.0.0:9"));
        assert_eq!(v["resources"]["memory_mb"].as_integer(), Some(2048));
        assert_eq!(v["resources"]["cpu"].as_float(), Some(2.5));
        assert_eq!(v["roles"].as_array().unwrap().len(), 2);
        assert_eq!(v["node_id"].as_str(), Some("a"));
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_variable() {
        let mut v: Value = toml::from_str("[resources]\nmemory_mb = 10\n").unwrap();
        let err = apply(&mut v, &env(&[("WEFT_RESOURCES_MEMORY_MB", "lots")])).unwrap_err();
        assert_eq!(err, r#"WEFT_RESOURCES_MEMORY_MB="lots" is not an integer"#);
    }
}
