//! Workload files (`bench/workloads/*.toml`): the contract, and rounds of
//! one function each with their rate control, length and workers.

use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The workloads shipped in bench/workloads/, by name: what the BaaS offers
/// without a workload file.
pub const BUILTIN: &[(&str, &str)] = &[
    ("asset-transfer", include_str!("../workloads/asset-transfer.toml")),
    ("kv", include_str!("../workloads/kv.toml")),
    ("notary", include_str!("../workloads/notary.toml")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub contract: String,
    /// A built-in example contract (kv, asset-transfer, notary) to deploy
    /// when the network lacks `contract`.
    #[serde(default)]
    pub deploy: Option<String>,
    pub rounds: Vec<Round>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Endorse, order, wait for the commit.
    Submit,
    /// Query one peer; nothing is ordered.
    Evaluate,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RateControl {
    /// Send `tps` transactions a second whatever the answers (open loop).
    FixedRate { tps: f64 },
    /// Keep `unfinished` transactions in flight (closed loop).
    FixedBacklog { unfinished: u32 },
    /// Send at a rate rising (or falling) linearly from `start_tps` to
    /// `end_tps` over the round.
    LinearRate { start_tps: f64, end_tps: f64 },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round {
    pub label: String,
    pub function: String,
    /// Arguments; `{i}` is the transaction's index in the round, `{run}` a
    /// value unique to this run (so reruns do not collide), `{hash}` the
    /// SHA-256 (64 hex characters) of `{run}-{i}`, a stand-in document.
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default = "submit")]
    pub kind: Kind,
    /// Length by count …
    #[serde(default)]
    pub txs: Option<u64>,
    /// … or by time.
    #[serde(default)]
    pub duration_secs: Option<f64>,
    /// Connections (Gateway clients) the load is spread over.
    #[serde(default = "one")]
    pub workers: u32,
    pub rate: RateControl,
}

fn submit() -> Kind {
    Kind::Submit
}

fn one() -> u32 {
    1
}

impl Workload {
    pub fn load(path: &Path) -> anyhow::Result<Workload> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading the workload {}: {e}", path.display()))?;
        Workload::parse(&text).map_err(|e| anyhow::anyhow!("workload {}: {e}", path.display()))
    }

    /// A built-in workload by name.
    pub fn builtin(name: &str) -> Result<Workload, String> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            format!("no built-in workload {name:?}; there are {}", names.join(", "))
        })?;
        Workload::parse(text)
    }

    pub fn parse(text: &str) -> Result<Workload, String> {
        let w: Workload = toml::from_str(text).map_err(|e| e.to_string())?;
        if w.rounds.is_empty() {
            return Err("at least one [[rounds]] entry is needed".into());
        }
        for r in &w.rounds {
            let at = |m: &str| format!("round {:?}: {m}", r.label);
            match (r.txs, r.duration_secs) {
                (Some(0), _) => return Err(at("txs must be at least 1")),
                (Some(_), None) => {}
                (None, Some(d)) if d > 0.0 && d.is_finite() => {}
                (None, Some(_)) => return Err(at("duration_secs must be a positive number")),
                _ => return Err(at("give its length as txs = N or duration_secs = S (one of them)")),
            }
            if r.workers == 0 || r.workers > 256 {
                return Err(at("workers must be 1–256"));
            }
            let ok = match r.rate {
                RateControl::FixedRate { tps } => tps > 0.0 && tps.is_finite(),
                RateControl::FixedBacklog { unfinished } => unfinished > 0,
                RateControl::LinearRate { start_tps, end_tps } => {
                    start_tps > 0.0 && end_tps > 0.0 && start_tps.is_finite() && end_tps.is_finite()
                }
            };
            if !ok {
                return Err(at("rates must be positive (tps, unfinished, start_tps, end_tps)"));
            }
        }
        Ok(w)
    }
}

impl Round {
    pub fn args_for(&self, run: &str, i: u64) -> Vec<String> {
        let hash = || Sha256::digest(format!("{run}-{i}")).iter().map(|b| format!("{b:02x}")).collect::<String>();
        self.args
            .iter()
            .map(|a| {
                let a = a.replace("{run}", run).replace("{i}", &i.to_string());
                if a.contains("{hash}") {
                    a.replace("{hash}", &hash())
                } else {
                    a
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_workloads_parse() {
        for (name, _) in BUILTIN {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("workloads/{name}.toml"));
            let w = Workload::load(&path).unwrap();
            assert_eq!(&w.name, name);
            assert_eq!(Workload::builtin(name).unwrap().name, w.name);
        }
        assert!(Workload::builtin("nope").unwrap_err().contains("kv"));
    }

    #[test]
    fn bad_rounds_say_what_to_fix() {
        let base = "name = 'w'\ncontract = 'kv'\n[[rounds]]\nlabel = 'r'\nfunction = 'put'\n";
        let cases = [
            ("rate = { kind = 'fixed-rate', tps = 10 }", "txs = N or duration_secs"),
            ("txs = 0\nrate = { kind = 'fixed-rate', tps = 10 }", "at least 1"),
            ("txs = 5\nrate = { kind = 'fixed-rate', tps = 0 }", "positive"),
            ("txs = 5\nworkers = 0\nrate = { kind = 'fixed-backlog', unfinished = 2 }", "workers"),
            ("txs = 5\nrate = { kind = 'warp', tps = 1 }", "warp"),
        ];
        for (round, expect) in cases {
            let err = Workload::parse(&format!("{base}{round}")).unwrap_err();
            assert!(err.contains(expect), "{round}: {err}");
        }
    }

    #[test]
    fn arguments_are_filled_in() {
        let w = Workload::parse(
            "name = 'w'\ncontract = 'kv'\n[[rounds]]\nlabel = 'r'\nfunction = 'put'\nargs = ['k-{run}-{i}', 'v']\n\
             txs = 1\nrate = { kind = 'fixed-backlog', unfinished = 1 }",
        )
        .unwrap();
        assert_eq!(w.rounds[0].args_for("x", 7), ["k-x-7", "v"]);
        let hashed = Round { args: vec!["{hash}".into()], ..w.rounds[0].clone() };
        // sha256("x-7")
        let expect = Sha256::digest("x-7").iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hashed.args_for("x", 7), std::slice::from_ref(&expect));
        assert_eq!(expect.len(), 64);
        assert_ne!(hashed.args_for("x", 8), [expect]);
    }
}
