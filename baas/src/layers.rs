//! Issue #23 (4): the BaaS's modules form no import cycle, so each can be
//! read, tested and moved with what it uses and nothing that uses it, and
//! each layer (`api/` → `ops/` → `store/`, `runtime/`) uses only the
//! layers below it; only `store/` holds SQL.
//! (`runtime/mod.rs` holds the other boundary check: only the runtime
//! touches nodes' files, processes and /proc.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir` (also for `runtime/mod.rs`'s check).
pub(crate) fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The paths `text` (what follows a `crate::`) names: `a::b::C`, or each
/// member of a `{…}` group, nested groups included.
fn paths(text: &str, prefix: &str, out: &mut Vec<String>) {
    let mut rest = text;
    let mut path = prefix.to_string();
    loop {
        rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        paths(&group[start..i], &path, out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths(&group[start..i], &path, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name = ident(rest);
        if name.is_empty() {
            break;
        }
        if !path.is_empty() {
            path.push_str("::");
        }
        path.push_str(name);
        rest = &rest[name.len()..];
        match rest.strip_prefix("::") {
            Some(more) => rest = more,
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// The paths `code` names through `crate::` (paths and `use crate::{a,
/// b::c}` groups alike).
fn uses(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        paths(&code[at + "crate::".len()..], "", &mut found);
    }
    found
}

/// A source file's module path: `api/nodes.rs` → `api::nodes`,
/// `monitor/mod.rs` → `monitor`.
fn module_of(rel: &Path) -> String {
    let parts: Vec<String> =
        rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).filter(|p| p != "mod").collect();
    parts.join("::")
}

/// Module → the modules it uses, from the crate's source (tests left out:
/// they may reach anywhere). A path names the deepest module it reaches
/// (`crate::store::chains::readable` → `store::chains`).
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let mut texts = BTreeMap::new();
    for file in files {
        let module = module_of(file.strip_prefix(src).unwrap());
        if module == "lib" || module == "main" || module == "layers" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let code: String = code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        texts.insert(module, code);
    }
    let known: BTreeSet<String> = texts.keys().cloned().collect();
    let resolve = |path: &str| -> Option<String> {
        let mut parts: Vec<&str> = path.split("::").collect();
        while !parts.is_empty() {
            let candidate = parts.join("::");
            if known.contains(&candidate) {
                return Some(candidate);
            }
            parts.pop();
        }
        None
    };
    texts
        .iter()
        .map(|(module, code)| {
            let used = uses(code).iter().filter_map(|p| resolve(p)).filter(|m| m != module).collect();
            (module.clone(), used)
        })
        .collect()
}

/// A cycle through the graph, if there is one, as the path around it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut around = path[at..].to_vec();
            around.push(m.to_string());
            return Some(around);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

/// Layer of a module: its first path segment.
fn layer(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Which layers a layer must not use: handlers sit on top, the monitor and
/// job bodies below them, tables and the runtime at the bottom.
const FORBIDDEN: [(&str, &[&str]); 5] = [
    ("monitor", &["api"]),
    ("ops", &["api"]),
    ("store", &["api", "ops", "monitor", "runtime", "material"]),
    ("runtime", &["api", "ops", "store", "monitor", "material"]),
    // The chains' material sits on the store, beside the runtime.
    ("material", &["api", "ops", "monitor", "runtime"]),
];

#[test]
fn the_modules_form_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph(&src);
    assert!(graph.len() > 60, "read {} modules: is this the BaaS's source?", graph.len());
    assert!(graph["api::channels"].contains("store::chains"), "the reader sees imports: {:?}", graph["api::channels"]);
    if let Some(around) = cycle(&graph) {
        panic!("an import cycle: {}", around.join(" → "));
    }
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (module, used) in graph(&src) {
        let Some((_, below)) = FORBIDDEN.iter().find(|(l, _)| *l == layer(&module)) else { continue };
        for u in used.iter().filter(|u| below.contains(&layer(u))) {
            wrong.push(format!("{module} uses {u}"));
        }
    }
    assert!(wrong.is_empty(), "a layer reaches up:\n{}", wrong.join("\n"));
}

/// What marks SQL in a source file: a query, or a transaction begun.
const SQL: [&str; 4] = ["sqlx::query", "query_as(", "query_scalar(", ".begin().await"];

fn holds_sql(text: &str) -> bool {
    SQL.iter().any(|q| text.contains(q))
}

/// Each table's queries live in its `store/` module: handlers check and
/// delegate, job bodies and the monitor decide, and none of them says
/// how a row is kept.
#[test]
fn only_the_store_holds_sql() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 60, "read {} files: is this the BaaS's source?", files.len());
    let store = src.join("store");
    let with_sql: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&store) && !f.ends_with("layers.rs"))
        .filter(|f| holds_sql(&std::fs::read_to_string(f).unwrap()))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert!(with_sql.is_empty(), "SQL outside store/ (move it to the table's module there): {with_sql:?}");
    let in_store =
        files.iter().filter(|f| f.starts_with(&store)).filter(|f| holds_sql(&std::fs::read_to_string(f).unwrap()));
    assert!(in_store.count() > 20, "the check sees no SQL in store/ either: does it look for the right thing?");
}

#[test]
fn the_check_sees_groups_and_cycles() {
    let code = "use crate::{a::X, b::{Y, c::Z}, d};\nlet v = crate::e::f();";
    assert_eq!(uses(code), ["a::X", "b::Y", "b::c::Z", "d", "e::f"].map(String::from).to_vec());
    assert_eq!(module_of(Path::new("api/mod.rs")), "api");
    assert_eq!(module_of(Path::new("api/nodes.rs")), "api::nodes");
    let mut g = BTreeMap::new();
    g.insert("x".to_string(), BTreeSet::from(["y".to_string()]));
    g.insert("y".to_string(), BTreeSet::from(["z".to_string()]));
    g.insert("z".to_string(), BTreeSet::new());
    assert_eq!(cycle(&g), None);
    g.get_mut("z").unwrap().insert("x".into());
    assert_eq!(cycle(&g), Some(["x", "y", "z", "x"].map(String::from).to_vec()));
}
