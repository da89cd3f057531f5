//! `weft network up|down|status`: the local process lifecycle of a network.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use weft_provision::local::{self as process, Stopped};
use weft_provision::Manifest;

use crate::output::Output;
use crate::profile::{Loaded, Profile};

fn load(dir: &Path) -> Result<Loaded> {
    Profile::admin(dir, None).load()
}

pub async fn up(dir: &Path, node_binary: Option<&Path>, timeout_secs: u64, output: Output) -> Result<()> {
    let loaded = load(dir)?;
    let binary = process::node_binary(node_binary);
    let text = output == Output::Text;
    let mut started = Vec::new();
    for node in &loaded.manifest.nodes {
        let config = dir.join(&node.config);
        if let Some(pid) = process::running(&config) {
            if text {
                println!("{:<16} already running (pid {pid})", node.id);
            }
            started.push((node, pid));
            continue;
        }
        let pid = process::spawn(&binary, &config)?;
        if text {
            println!("{:<16} starting (pid {pid}, log {})", node.id, process::log_file(&config).display());
        }
        started.push((node, pid));
    }
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    let mut results = Vec::new();
    for (node, pid) in started {
        let config = dir.join(&node.config);
        loop {
            if !process::alive(pid) {
                bail!(
                    "{} exited during start-up; last lines of {}:\n{}",
                    node.id,
                    process::log_file(&config).display(),
                    process::tail(&process::log_file(&config), 15)
                );
            }
            match crate::admin::status(&loaded, node).await {
                Ok(status) => {
                    if text {
                        println!("{:<16} healthy: height {}, gRPC {}", node.id, status.height, node.grpc);
                    }
                    results.push(
                        serde_json::json!({"node": node.id, "pid": pid, "height": status.height, "grpc": node.grpc}),
                    );
                    break;
                }
                Err(e) if Instant::now() > deadline => {
                    bail!(
                        "{} not healthy after {timeout_secs} s: {e:#}; see {}",
                        node.id,
                        process::log_file(&config).display()
                    )
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    match output {
        Output::Json => println!("{}", serde_json::json!({ "nodes": results })),
        Output::Text => println!("network {} is up: {} nodes", loaded.manifest.channel, results.len()),
    }
    Ok(())
}

pub async fn down(dir: &Path, grace_secs: u64, output: Output) -> Result<()> {
    let manifest = Manifest::load(dir).with_context(|| format!("reading network {}", dir.display()))?;
    let grace = Duration::from_secs(grace_secs);
    // SIGTERM every node first so they shut down together, then wait.
    let running: Vec<_> = manifest
        .nodes
        .iter()
        .filter_map(|n| {
            let config = dir.join(&n.config);
            process::running(&config).map(|pid| (n.id.clone(), pid, config))
        })
        .collect();
    for (_, pid, _) in &running {
        process::signal(*pid, libc::SIGTERM)?;
    }
    let mut stopped = Vec::new();
    for (id, _, config) in running {
        let how = match process::stop(&config, grace)? {
            Some(Stopped::Killed { pid }) => format!("killed after the grace period (pid {pid})"),
            Some(Stopped::Graceful { pid }) => format!("stopped (pid {pid})"),
            None => "stopped".to_string(),
        };
        if output == Output::Text {
            println!("{id:<16} {how}");
        }
        stopped.push(id);
    }
    match output {
        Output::Json => {
            println!("{}", serde_json::json!({ "stopped": stopped }))
        }
        Output::Text if stopped.is_empty() => println!("no node of this network was running"),
        Output::Text => {}
    }
    Ok(())
}

pub async fn status(dir: &Path, output: Output) -> Result<()> {
    let loaded = load(dir)?;
    let mut rows = Vec::new();
    for node in &loaded.manifest.nodes {
        let config = dir.join(&node.config);
        let pid = process::running(&config);
        let status = crate::admin::status(&loaded, node).await;
        rows.push((node, pid, status));
    }
    match output {
        Output::Json => {
            let nodes: Vec<_> = rows
                .iter()
                .map(|(n, pid, s)| match s {
                    Ok(s) => serde_json::json!({
                        "node": n.id, "pid": pid, "up": true, "height": s.height, "roles": s.roles,
                        "consensus": s.consensus.as_ref().map(|c| &c.state), "uptime_secs": s.uptime_secs,
                        "draining": s.draining,
                    }),
                    Err(e) => serde_json::json!({ "node": n.id, "pid": pid, "up": false, "error": format!("{e:#}") }),
                })
                .collect();
            println!("{}", serde_json::json!({ "nodes": nodes }));
        }
        Output::Text => {
            println!("{:<16} {:<8} {:<6} {:<8} {:<14} STATE", "NODE", "PID", "UP", "HEIGHT", "ROLES");
            for (n, pid, s) in &rows {
                let pid = pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
                match s {
                    Ok(s) => println!(
                        "{:<16} {:<8} {:<6} {:<8} {:<14} {}",
                        n.id,
                        pid,
                        "yes",
                        s.height,
                        s.roles.join(","),
                        s.consensus.as_ref().map(|c| c.state.as_str()).unwrap_or("")
                    ),
                    Err(e) => println!("{:<16} {:<8} {:<6} {:<8} {:<14} {e:#}", n.id, pid, "no", "-", "-"),
                }
            }
        }
    }
    Ok(())
}
