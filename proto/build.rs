//! Generates the Rust types for every `.proto` file under `proto/`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from("proto");
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("weft"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    // The directory too: a new .proto file is not among the files above.
    println!("cargo:rerun-if-changed=proto/weft");

    let mut config = prost_build::Config::new();
    // Round-trip property tests generate every message with proptest-derive;
    // the derive exists only in this crate's own test build.
    config.type_attribute(".", "#[cfg_attr(test, derive(::proptest_derive::Arbitrary))]");
    // proptest's default of up to 100 elements per repeated field makes
    // nested messages explode (100 namespaces x 100 ranges x 100 reads);
    // a few elements per level exercise the encoding just as well.
    let sources = files.iter().map(std::fs::read_to_string).collect::<Result<Vec<_>, _>>()?;
    let enums: Vec<String> = sources.iter().flat_map(|s| declared("enum", s)).collect();
    for source in &sources {
        for (path, proto_type) in repeated_fields(source) {
            let rust_type = match proto_type.as_str() {
                "bytes" => "::prost::alloc::vec::Vec<u8>".to_owned(),
                "string" => "::prost::alloc::string::String".to_owned(),
                t if enums.iter().any(|e| e == t) => "i32".to_owned(),
                t => t.to_owned(),
            };
            config.field_attribute(
                path,
                format!(
                    "#[cfg_attr(test, proptest(strategy = \"::proptest::collection::vec(::proptest::arbitrary::any::<{rust_type}>(), 0..4)\"))]"
                ),
            );
        }
    }
    // Service stubs only with the `grpc` feature, so that crates which only
    // need the messages do not build tonic.
    let grpc = std::env::var_os("CARGO_FEATURE_GRPC").is_some();
    tonic_prost_build::configure()
        .build_server(grpc)
        .build_client(grpc)
        .compile_with_config(config, &files, &[root])
        .map_err(|e| format!("protoc failed: {e}. Is protobuf-compiler installed? Run scripts/bootstrap.sh"))?;
    Ok(())
}

/// Names declared as `keyword Name {` (keyword: message or enum).
fn declared(keyword: &str, proto: &str) -> Vec<String> {
    proto
        .lines()
        .filter_map(|line| match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            [k, name, "{", ..] if *k == keyword => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// (`.weft.Message.field`, element type) for every `repeated` field of a
/// top-level message.
fn repeated_fields(proto: &str) -> Vec<(String, String)> {
    let mut message = None;
    let mut out = Vec::new();
    for line in proto.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["message", name, "{", ..] => message = Some(name.to_string()),
            ["repeated", ty, field, "=", ..] => {
                if let Some(m) = &message {
                    out.push((format!(".weft.{m}.{field}"), ty.to_string()));
                }
            }
            _ => {}
        }
    }
    out
}
