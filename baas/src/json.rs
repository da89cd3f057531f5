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
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| Problem::bad_request(format!("the JSON body does not match what this route takes: {e}")))
    }
}
