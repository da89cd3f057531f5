//! Errors as RFC 9457 problem details: every failed call answers with
//! `application/problem+json` naming what was wrong and what to do.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What was wrong with this request and what to do about it.
    pub detail: String,
    /// Sent as Retry-After (429s).
    #[serde(skip)]
    pub retry_after_secs: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl std::fmt::Display) -> Problem {
        Problem {
            kind: format!("https://weft.invalid/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: detail.to_string(),
            retry_after_secs: None,
        }
    }

    /// 429 with a Retry-After of `secs`.
    pub fn too_many(detail: impl std::fmt::Display, secs: u64) -> Problem {
        Problem {
            retry_after_secs: Some(secs),
            ..Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many-requests", detail)
        }
    }

    pub fn bad_request(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unprocessable(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", detail)
    }

    pub fn unauthorized(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(detail: impl std::fmt::Display) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// A server-side failure: logged in full, answered without internals.
    pub fn internal(error: impl std::fmt::Display) -> Problem {
        tracing::error!(%error, "request failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle this request; its log has the cause",
        )
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Problem {
        Problem::internal(format!("database: {e}"))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("a problem serialises");
        let mut response = (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, Problem>;
