//! What every response carries whatever route made it: browser security
//! headers (no sniffing, no framing, a content security policy, HSTS when
//! served over TLS), and, for the API, errors as problem JSON even when
//! axum answered itself (a 405 with an empty body, a path or query it
//! could not parse as text/plain).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// The console's policy: its own scripts only, nothing framed or framing.
const CONSOLE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                           object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The API page is one self-contained file with its script and style
/// inline; it talks to this server only.
const API_PAGE_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                            connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Error bodies longer than this are not read to be rewritten.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Middleware: the headers, then the problem JSON.
pub async fn harden(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let tls = request.extensions().get::<crate::tls::Secure>().is_some();
    let response = next.run(request).await;
    let mut response = if path.starts_with("/api/") { as_problem(response, &method, &path).await } else { response };
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let csp = if path == "/api/docs" { API_PAGE_CSP } else { CONSOLE_CSP };
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    if tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// An API error that is not problem JSON yet becomes one, keeping its
/// status and headers (Allow, Retry-After) and saying what axum said.
async fn as_problem(response: Response, method: &Method, path: &str) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_else(|_| Bytes::new());
    let said = String::from_utf8_lossy(&text).trim().to_string();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed =
                parts.headers.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string();
            let takes = if allowed.is_empty() { String::new() } else { format!("; it takes {allowed}") };
            format!("{path} does not take {method}{takes} (/api/openapi.json lists what each route takes)")
        }
        _ if said.is_empty() => format!("{path}: {}", status.canonical_reason().unwrap_or("error")),
        _ => format!("{path}: {said}"),
    };
    let slug = status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "-");
    let problem = Problem::new(status, &slug, detail).into_response();
    let (new_parts, new_body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, new_parts.headers[header::CONTENT_TYPE].clone());
    Response::from_parts(parts, Body::new(new_body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn answer(app: axum::Router, method: Method, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let req = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let text = String::from_utf8(axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec()).unwrap();
        (parts.status, parts.headers, text)
    }

    #[tokio::test]
    async fn axum_s_own_errors_become_problem_json_with_the_headers() {
        let app = axum::Router::new()
            .route(
                "/api/things/{n}",
                get(|axum::extract::Path(n): axum::extract::Path<u32>| async move { n.to_string() }),
            )
            .layer(axum::middleware::from_fn(harden));
        let (s, h, body) = answer(app.clone(), Method::DELETE, "/api/things/1").await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
        assert!(h.contains_key(header::ALLOW));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], 405);
        assert!(v["detail"].as_str().unwrap().contains("/api/things/1 does not take DELETE"), "{v}");
        let (s, h, body) = answer(app.clone(), Method::GET, "/api/things/minus-one").await;
        assert_eq!(
            (s, &h[header::CONTENT_TYPE]),
            (StatusCode::BAD_REQUEST, &HeaderValue::from_static("application/problem+json"))
        );
        assert!(body.contains("Invalid URL"), "{body}");
        let (s, h, body) = answer(app, Method::GET, "/api/things/7").await;
        assert_eq!((s, body.as_str()), (StatusCode::OK, "7"));
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY), "no HSTS over plain HTTP");
    }
}
