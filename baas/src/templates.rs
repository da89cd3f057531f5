//! Network templates: the built-in ones from `config/templates/` (compiled
//! in, so the binary works from any directory) and ones defined through the
//! API, either for every tenant (by a platform admin) or for one tenant.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use weft_provision::{NodeRoleName, Template};

use crate::db::Db;
use crate::problem::Problem;

const BUILT_IN: [(&str, &str); 5] = [
    ("solo-1", include_str!("../../config/templates/solo-1.toml")),
    ("raft-3", include_str!("../../config/templates/raft-3.toml")),
    ("raft-5", include_str!("../../config/templates/raft-5.toml")),
    ("pbft-4", include_str!("../../config/templates/pbft-4.toml")),
    ("pbft-7", include_str!("../../config/templates/pbft-7.toml")),
];

/// What a chain made from a template asks of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Demand {
    pub nodes: i64,
    /// Cores, summed over nodes.
    pub cpu: f64,
    pub memory_mb: i64,
    pub disk_gb: i64,
}

impl Demand {
    pub fn of(template: &Template) -> Demand {
        let mut d = Demand::default();
        // A parsed template is within `limits`, so none of this overflows;
        // saturating all the same, so that no template can panic a request.
        let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        for org in &template.orgs {
            let r = template.resources_of(org);
            let n = i64::from(org.nodes);
            d.nodes = d.nodes.saturating_add(n);
            d.cpu += r.cpu * n as f64;
            d.memory_mb = d.memory_mb.saturating_add(int(r.memory_mb).saturating_mul(n));
            d.disk_gb = d.disk_gb.saturating_add(int(r.disk_gb).saturating_mul(n));
        }
        d
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateSummary {
    pub name: String,
    pub description: String,
    /// built-in | platform | tenant
    pub source: String,
    /// The ledger platform the chain runs: `weft` (the only one today; the
    /// field is there for drivers of other platforms).
    pub platform: String,
    /// solo | raft | pbft
    pub consensus: String,
    pub orgs: Vec<String>,
    pub peers: u32,
    pub orderers: u32,
    pub demand: Demand,
    /// The template itself, in the format of config/templates/*.toml.
    pub toml: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTemplate {
    /// The template in the TOML format of config/templates/*.toml; its
    /// `name` field names it.
    pub toml: String,
    /// Offer it to every tenant (platform admins only); otherwise it belongs
    /// to the caller's tenant.
    #[serde(default)]
    pub platform_wide: bool,
}

pub fn consensus_name(t: &Template) -> String {
    serde_json::to_value(t.consensus).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub fn summary(template: &Template, source: &str, toml: &str) -> TemplateSummary {
    let count = |role| template.orgs.iter().filter(|o| o.roles.contains(&role)).map(|o| o.nodes).sum();
    TemplateSummary {
        name: template.name.clone(),
        description: template.description.clone(),
        source: source.to_string(),
        platform: "weft".into(),
        consensus: consensus_name(template),
        orgs: template.orgs.iter().map(|o| o.id.clone()).collect(),
        peers: count(NodeRoleName::Peer),
        orderers: count(NodeRoleName::Orderer),
        demand: Demand::of(template),
        toml: toml.to_string(),
    }
}

/// Parsed once: they are compiled in and never change.
fn built_in() -> &'static [TemplateSummary] {
    static ALL: std::sync::OnceLock<Vec<TemplateSummary>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        BUILT_IN
            .iter()
            .map(|(name, text)| {
                let t = Template::parse(text, name).expect("built-in templates parse (checked by a unit test)");
                summary(&t, "built-in", text)
            })
            .collect()
    })
}

/// Templates `tenant` may use: its own, then platform-wide, then built-in;
/// a name defined nearer the tenant hides the same name further out.
pub async fn visible(db: &Db, tenant: Option<&str>) -> Result<Vec<TemplateSummary>, Problem> {
    let rows = crate::store::templates::of_tenant(db, tenant).await?;
    let mut out: Vec<TemplateSummary> = Vec::new();
    let mut defined: Vec<(u8, TemplateSummary)> = Vec::new();
    for crate::store::templates::Stored { name, body, tenant_id: owner } in rows {
        // One stored before today's rules that no longer passes them is
        // left out (and said in the log), not a failure of every listing.
        let t = match Template::parse(&body, &name) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(template = %name, tenant = ?owner, error = %e, "a stored template no longer checks; hidden (delete it)");
                continue;
            }
        };
        let (rank, source) = if owner.is_some() { (0, "tenant") } else { (1, "platform") };
        defined.push((rank, summary(&t, source, &body)));
    }
    defined.sort_by_key(|(rank, _)| *rank);
    for s in defined.into_iter().map(|(_, s)| s).chain(built_in().iter().cloned()) {
        if !out.iter().any(|o| o.name == s.name) {
            out.push(s);
        }
    }
    Ok(out)
}

/// The template `name` as `tenant` sees it.
pub async fn find(db: &Db, tenant: Option<&str>, name: &str) -> Result<(Template, TemplateSummary), Problem> {
    let all = visible(db, tenant).await?;
    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    let found = all.iter().find(|t| t.name == name).ok_or_else(|| {
        Problem::unprocessable(format!("template: no template {name:?}; choose one of {}", names.join(", ")))
    })?;
    let template = Template::parse(&found.toml, name).map_err(Problem::internal)?;
    Ok((template, found.clone()))
}

pub use crate::store::templates::{insert, remove};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_parse_and_count_their_demand() {
        let all = built_in();
        assert_eq!(all.len(), BUILT_IN.len());
        let raft3 = all.iter().find(|t| t.name == "raft-3").unwrap();
        assert_eq!((raft3.peers, raft3.orderers, raft3.consensus.as_str()), (3, 3, "raft"));
        assert_eq!(raft3.demand, Demand { nodes: 3, cpu: 3.0, memory_mb: 3072, disk_gb: 60 });
    }
}
