//! Typed arguments. A call's arguments are byte strings (as in Fabric); each
//! parameter type says how to read its bytes.
//!
//! `String` takes a JSON string or, failing that, the raw UTF-8 bytes, so
//! `weft tx invoke … CreateAsset asset1 blue 5` works without quoting.
//! Numbers and `bool` are JSON, `Vec<u8>` is the raw bytes, and any
//! `serde` type can be taken as JSON by wrapping it in [`Json`].

use serde::de::DeserializeOwned;

/// Reads one argument's bytes as a parameter type.
pub trait FromArg: Sized {
    /// On failure, says what was expected.
    fn from_arg(bytes: &[u8]) -> Result<Self, String>;
}

impl FromArg for String {
    fn from_arg(bytes: &[u8]) -> Result<Self, String> {
        if bytes.first() == Some(&b'"') {
            if let Ok(s) = serde_json::from_slice::<String>(bytes) {
                return Ok(s);
            }
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| "expected UTF-8 text".to_string())
    }
}

impl FromArg for Vec<u8> {
    fn from_arg(bytes: &[u8]) -> Result<Self, String> {
        Ok(bytes.to_vec())
    }
}

macro_rules! json_arg {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl FromArg for $t {
            fn from_arg(bytes: &[u8]) -> Result<Self, String> {
                serde_json::from_slice(bytes).map_err(|_| {
                    format!(concat!("expected ", $what, ", got {:?}"), String::from_utf8_lossy(bytes))
                })
            }
        }
    )*};
}

json_arg!(
    bool => "true or false",
    u8 => "an integer 0..=255",
    u16 => "an integer 0..=65535",
    u32 => "a non-negative 32-bit integer",
    u64 => "a non-negative 64-bit integer",
    i32 => "a 32-bit integer",
    i64 => "a 64-bit integer",
);

/// A parameter taken as JSON: `fn update(ctx, asset: Json<Asset>)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromArg for Json<T> {
    fn from_arg(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map(Json).map_err(|e| format!("expected JSON: {e}"))
    }
}

impl<T: FromArg> FromArg for Option<T> {
    /// An empty argument is `None`.
    fn from_arg(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() {
            Ok(None)
        } else {
            T::from_arg(bytes).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_take_json_or_raw_text() {
        assert_eq!(String::from_arg(b"blue").unwrap(), "blue");
        assert_eq!(String::from_arg(br#""blue""#).unwrap(), "blue");
        assert_eq!(String::from_arg(br#""unterminated"#).unwrap(), "\"unterminated");
        assert!(String::from_arg(&[0xff]).is_err());
    }

    #[test]
    fn numbers_are_checked() {
        assert_eq!(u64::from_arg(b"42").unwrap(), 42);
        let err = u32::from_arg(b"-1").unwrap_err();
        assert!(err.contains("non-negative") && err.contains("-1"), "{err}");
        assert!(u8::from_arg(b"256").is_err());
        assert!(bool::from_arg(b"yes").is_err());
    }

    #[test]
    fn json_and_option() {
        let Json(v): Json<Vec<u32>> = FromArg::from_arg(b"[1,2]").unwrap();
        assert_eq!(v, vec![1, 2]);
        assert_eq!(Option::<u32>::from_arg(b"").unwrap(), None);
        assert_eq!(Option::<u32>::from_arg(b"7").unwrap(), Some(7));
    }
}
