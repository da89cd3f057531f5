//! A query-string extractor whose rejections are problem details (axum's
//! own answer is plain text). A query that does not fit the route's
//! parameters (a number past its range, a word for a number) is 422: the
//! values are wrong, not the request's syntax.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        Query::try_from_uri(&parts.uri).map(|Query(q)| ApiQuery(q)).map_err(|e| {
            Problem::unprocessable(format!("{} (/api/openapi.json lists each route's query parameters)", e.body_text()))
        })
    }
}
