//! Serves the web console (`console/`, built by Vite into `console/dist`)
//! and the apps built beside it (`apps/notary` into `dist/notary`) from the
//! API's port: files by path, and for every other path outside `/api/` the
//! `index.html` of the app it lies under (`/notary/verify` →
//! `notary/index.html`, else the console's), so each app's own routes load
//! on a reload. Read from disk on each request: a rebuilt console shows
//! without a restart.

use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that `uri` names, if it names one safely (no `..`).
fn file_for(root: &Path, uri: &Uri) -> Option<PathBuf> {
    let rel = Path::new(uri.path().trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let path = root.join(rel);
    path.is_file().then_some(path)
}

/// The page for a path no file answers: the index.html of the app under
/// the path's first segment if there is one, else the console's.
fn page_for(root: &Path, uri: &Uri) -> PathBuf {
    let first = uri.path().trim_start_matches('/').split('/').next().unwrap_or("");
    let app = Path::new(first);
    let app_page = root.join(app).join("index.html");
    let safe = app.components().count() == 1 && matches!(app.components().next(), Some(Component::Normal(_)));
    if safe && app_page.is_file() {
        app_page
    } else {
        root.join("index.html")
    }
}

/// A console file, or the page of the app the path lies under; a clear
/// page when the console is not built.
pub async fn serve(root: PathBuf, uri: Uri) -> Response {
    let path = file_for(&root, &uri).unwrap_or_else(|| page_for(&root, &uri));
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            // Hashed assets never change; the page itself always may.
            let cache =
                if uri.path().contains("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            ([(header::CONTENT_TYPE, content_type(&path)), (header::CACHE_CONTROL, cache)], Body::from(bytes))
                .into_response()
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "The console is not built in {}: run `make console` (or `npm ci && npm run build` in console/). \
                 The API is at /api/ (see /api/docs).\n",
                root.display()
            ),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_under_the_root_are_served() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("assets")).unwrap();
        std::fs::write(root.path().join("assets/app.js"), "x").unwrap();
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(file_for(root.path(), &uri("/assets/app.js")), Some(root.path().join("assets/app.js")));
        assert_eq!(file_for(root.path(), &uri("/chains/abc")), None, "a console route: index.html");
        assert_eq!(file_for(root.path(), &uri("/../etc/passwd")), None);
        assert_eq!(content_type(Path::new("a.js")), "text/javascript; charset=utf-8");
    }

    #[test]
    fn an_app_beside_the_console_answers_its_own_routes() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("notary")).unwrap();
        std::fs::write(root.path().join("notary/index.html"), "notary").unwrap();
        std::fs::create_dir_all(root.path().join("assets")).unwrap();
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(page_for(root.path(), &uri("/notary/verify?chain=x")), root.path().join("notary/index.html"));
        assert_eq!(page_for(root.path(), &uri("/notary/")), root.path().join("notary/index.html"));
        assert_eq!(page_for(root.path(), &uri("/chains/abc")), root.path().join("index.html"));
        // A directory without its own page is not an app.
        assert_eq!(page_for(root.path(), &uri("/assets/x")), root.path().join("index.html"));
        assert_eq!(page_for(root.path(), &uri("/../notary")), root.path().join("index.html"));
    }
}
