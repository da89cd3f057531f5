//! `kv`: the smallest useful contract — put, get, delete and range over
//! string keys and values. Start here when writing your own.

use serde::Serialize;
use weft_contract_sdk::{contract, Context, ContractError, Result};

contract! {
    "put" => put(key: String, value: String),
    "get" => get(key: String),
    "delete" => delete(key: String),
    "range" => range(start: String, end: String),
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(ContractError::new("key must not be empty"));
    }
    Ok(())
}

pub fn put(ctx: &mut dyn Context, key: String, value: String) -> Result<()> {
    check_key(&key)?;
    ctx.put(&key, value.as_bytes());
    Ok(())
}

/// The value, or an empty response when the key does not exist.
pub fn get(ctx: &mut dyn Context, key: String) -> Result<Option<String>> {
    check_key(&key)?;
    Ok(ctx.get(&key).map(|v| String::from_utf8_lossy(&v).into_owned()))
}

pub fn delete(ctx: &mut dyn Context, key: String) -> Result<()> {
    check_key(&key)?;
    if ctx.get(&key).is_none() {
        return Err(ContractError::new(format!("key {key:?} does not exist")));
    }
    ctx.delete(&key);
    Ok(())
}

/// Entries with `start <= key < end`; an empty `end` means to the last key.
pub fn range(ctx: &mut dyn Context, start: String, end: String) -> Result<Vec<Entry>> {
    Ok(ctx
        .range(&start, &end)
        .into_iter()
        .map(|(key, v)| Entry { key, value: String::from_utf8_lossy(&v).into_owned() })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_contract_sdk::MockContext;

    fn call(ctx: &mut MockContext, f: &str, args: &[&str]) -> Result<Vec<u8>> {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        dispatch(ctx, f, &args)
    }

    #[test]
    fn put_get_delete() {
        let mut ctx = MockContext::new("kv");
        call(&mut ctx, "put", &["color", "blue"]).unwrap();
        ctx.commit();
        assert_eq!(call(&mut ctx, "get", &["color"]).unwrap(), br#""blue""#);
        call(&mut ctx, "delete", &["color"]).unwrap();
        ctx.commit();
        assert!(call(&mut ctx, "get", &["color"]).unwrap().is_empty());
        let err = call(&mut ctx, "delete", &["color"]).unwrap_err();
        assert_eq!(err.message(), r#"key "color" does not exist"#);
    }

    #[test]
    fn range_lists_entries_in_order() {
        let mut ctx = MockContext::new("kv");
        for (k, v) in [("b", "2"), ("a", "1"), ("c", "3")] {
            call(&mut ctx, "put", &[k, v]).unwrap();
        }
        ctx.commit();
        let got: Vec<Entry> = range(&mut ctx, "a".into(), "c".into()).unwrap();
        assert_eq!(
            got,
            vec![Entry { key: "a".into(), value: "1".into() }, Entry { key: "b".into(), value: "2".into() }]
        );
    }

    #[test]
    fn bad_calls_explain_themselves() {
        let mut ctx = MockContext::new("kv");
        assert_eq!(call(&mut ctx, "put", &["k"]).unwrap_err().message(), "put takes 2 arguments (key, value), got 1");
        assert!(call(&mut ctx, "nope", &[])
            .unwrap_err()
            .message()
            .contains("this contract has: put, get, delete, range"));
        assert_eq!(call(&mut ctx, "put", &["", "v"]).unwrap_err().message(), "key must not be empty");
    }
}
