//! Hosts made of network namespaces, for tests that cut a node off: each
//! host is a namespace with a veth into a bridge in the test's own
//! namespace, on a private /24. A node is cut off by setting its link down
//! (its packets vanish, as when a cable is pulled) and healed by setting it
//! up. Needs root and iproute2 (`scripts/bootstrap.sh` installs it); when
//! the machine cannot make namespaces, [`Hosts::create`] says why and the
//! test reports itself skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Hosts {
    bridge: String,
    namespaces: Vec<String>,
    links: Vec<String>,
    pub addresses: Vec<String>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).output().map_err(|e| format!("running ip {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(())
}

impl Hosts {
    /// `n` hosts at 10.213.S.1 … 10.213.S.n (S from the process id, so
    /// concurrent test processes do not collide), the bridge at .254.
    pub fn create(n: usize) -> Result<Hosts, String> {
        let tag = std::process::id() % 100_000;
        let subnet = 20 + std::process::id() % 200;
        let mut hosts =
            Hosts { bridge: format!("wb{tag}"), namespaces: Vec::new(), links: Vec::new(), addresses: Vec::new() };
        ip(&["link", "add", &hosts.bridge, "type", "bridge"])?;
        ip(&["addr", "add", &format!("10.213.{subnet}.254/24"), "dev", &hosts.bridge])?;
        ip(&["link", "set", &hosts.bridge, "up"])?;
        for i in 0..n {
            let ns = format!("weft-{tag}-{i}");
            ip(&["netns", "add", &ns])?;
            hosts.namespaces.push(ns.clone());
            let link = format!("wv{tag}n{i}");
            ip(&["link", "add", &link, "type", "veth", "peer", "name", "eth0", "netns", &ns])?;
            hosts.links.push(link.clone());
            ip(&["link", "set", &link, "master", &hosts.bridge, "up"])?;
            let address = format!("10.213.{subnet}.{}", i + 1);
            ip(&["netns", "exec", &ns, "ip", "addr", "add", &format!("{address}/24"), "dev", "eth0"])?;
            ip(&["netns", "exec", &ns, "ip", "link", "set", "eth0", "up"])?;
            ip(&["netns", "exec", &ns, "ip", "link", "set", "lo", "up"])?;
            hosts.addresses.push(address);
        }
        Ok(hosts)
    }

    pub fn namespace(&self, host: usize) -> &str {
        &self.namespaces[host]
    }

    /// Cuts `host` off from every other host and from the test.
    pub fn isolate(&self, host: usize) {
        ip(&["link", "set", &self.links[host], "down"]).expect("link down");
    }

    pub fn heal(&self, host: usize) {
        ip(&["link", "set", &self.links[host], "up"]).expect("link up");
    }

    /// A script to use as the weft-node binary: starts `real` inside the
    /// namespace of the host whose address the node's config listens on
    /// (`ip netns exec` execs, so the recorded pid is the node's).
    pub fn node_wrapper(&self, dir: &Path, real: &Path) -> PathBuf {
        let mut script = String::from("#!/bin/sh\n# weft-node inside the namespace of the node's host\n");
        for (ns, address) in self.namespaces.iter().zip(&self.addresses) {
            script.push_str(&format!(
                "if grep -q 'grpc = \"{address}:' \"$2\"; then exec ip netns exec {ns} {} \"$@\"; fi\n",
                real.display()
            ));
        }
        script.push_str("echo \"no namespace for $2\" >&2; exit 1\n");
        let path = dir.join("weft-node-in-netns.sh");
        crate::write_script(&path, &script);
        path
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth, and so the pair.
        for ns in &self.namespaces {
            let _ = ip(&["netns", "delete", ns]);
        }
        let _ = ip(&["link", "delete", &self.bridge]);
    }
}
