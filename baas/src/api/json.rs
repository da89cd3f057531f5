//! A JSON body extractor whose rejections are problem details saying what
//! in the body was wrong (axum's own answer is plain text).

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Request bodies are small documents; larger ones are refused.
pub const MAX_BODY_BYTES: usize = 1 << 20;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json_type {
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            Problem::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                format!("{e} (the limit is {MAX_BODY_BYTES} bytes)"),
            )
        })?;
        let shape = |e: serde_json::Error| {
            Problem::bad_request(format!("the JSON body does not match what this route takes: {e}"))
        };
        let first = match serde_json::from_slice(&bytes) {
            Ok(v) => return Ok(ApiJson(v)),
            Err(e) => e,
        };
        // Only a body refused as it is is read a second time, with its
        // whole numbers written as floats made integers; if that does not
        // fit either, the first error (with its line and column) is said.
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return Err(shape(first)) };
        if !integral_numbers(&mut value) {
            return Err(shape(first));
        }
        serde_json::from_value(value).map(ApiJson).map_err(|_| shape(first))
    }
}

/// JSON has one number type: `198.0` is the integer 198 to JSON Schema
/// (and to JavaScript clients that computed it), though serde refuses it
/// for an integer field. Numbers with no fraction, exactly representable,
/// become integers; the rest stay as sent. Whether any changed.
fn integral_numbers(value: &mut serde_json::Value) -> bool {
    /// 2^53: beyond it an f64 no longer holds every integer.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            let whole = f.fract() == 0.0 && f.abs() <= EXACT;
            if whole {
                *value = serde_json::Value::from(f as i64);
            }
            whole
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |any, v| integral_numbers(v) | any),
        serde_json::Value::Object(fields) => fields.values_mut().fold(false, |any, v| integral_numbers(v) | any),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_become_integers_and_others_stay() {
        let mut v = serde_json::json!({"days": 198.0, "nested": [1.5, -3.0, 1e300], "n": 7});
        assert!(integral_numbers(&mut v));
        assert_eq!(v, serde_json::json!({"days": 198, "nested": [1.5, -3, 1e300], "n": 7}));
        #[derive(serde::Deserialize)]
        struct Days {
            days: u32,
        }
        let days: Days = serde_json::from_value(v).unwrap();
        assert_eq!(days.days, 198);
    }

    fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            prop_oneof![Just(198.0), Just(-0.0), Just(9_007_199_254_740_993.0), Just(1e300)]
                .prop_map(serde_json::Value::from),
            ".{0,8}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
                prop::collection::btree_map(".{0,6}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Any JSON document: the normalisation ends, changes only numbers
        /// (each to the same value), and leaves nothing to change again.
        #[test]
        fn normalising_any_document_is_safe_and_settles(value in json()) {
            let mut normalised = value.clone();
            integral_numbers(&mut normalised);
            proptest::prop_assert!(!integral_numbers(&mut normalised.clone()), "settled");
            fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
                use serde_json::Value::*;
                match (a, b) {
                    (Number(x), Number(y)) => x.as_f64() == y.as_f64() || x.as_f64().zip(y.as_f64()).is_some_and(|(p, q)| p.is_nan() && q.is_nan()),
                    (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
                    (Object(x), Object(y)) => x.len() == y.len() && x.iter().zip(y).all(|((k, p), (l, q))| k == l && same(p, q)),
                    _ => a == b,
                }
            }
            proptest::prop_assert!(same(&value, &normalised), "{value} became {normalised}");
        }

        /// Any bytes as a body, through the extractor the routes use:
        /// taken, or refused as a 400 problem — never a panic or a 500.
        #[test]
        fn any_body_is_taken_or_refused_with_a_400(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            document in json(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let extract = |body: Vec<u8>| {
                let request = Request::builder()
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body))
                    .unwrap();
                runtime.block_on(ApiJson::<crate::api::chains::NewChain>::from_request(request, &()))
            };
            for body in [bytes.clone(), serde_json::to_vec(&document).unwrap()] {
                if let Err(problem) = extract(body) {
                    proptest::prop_assert_eq!(problem.status, 400, "{}", problem.detail);
                }
            }
            // A body of the route's shape is taken exactly when its optional
            // field holds what the field takes.
            let shaped = serde_json::json!({"name": "x", "template": "t", "tenant_id": document.clone()});
            let fits = document.is_null() || document.is_string();
            match extract(serde_json::to_vec(&shaped).unwrap()) {
                Ok(ApiJson(chain)) => proptest::prop_assert!(fits && chain.tenant_id.as_deref() == document.as_str()),
                Err(problem) => proptest::prop_assert!(!fits && problem.status == 400, "{}", problem.detail),
            }
        }
    }
}
