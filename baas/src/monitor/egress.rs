//! Where webhooks may go. A tenant names the URL, and the BaaS makes the
//! request from inside the operator's network: without a check, a webhook
//! is a way to reach the BaaS's own ports, the nodes' admin planes, cloud
//! metadata services or anything else on a private network (SSRF). So by
//! default a webhook may reach only public addresses: not loopback,
//! private, link-local, shared (CGNAT), multicast or unspecified ones, nor
//! any address of the BaaS's own interfaces. The check runs on the
//! addresses a name resolves to, when the connection is made (a name that
//! resolved to a public address at registration cannot later point
//! inside), and redirects are not followed. An operator lets chosen
//! networks through with `--webhook-allow CIDR`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// Said in every refusal, so the delivery record can tell a refusal by
/// this policy from a network failure.
pub const REFUSED: &str = "webhooks may not reach";

/// The networks webhooks may reach besides public addresses, and the
/// server's own addresses, which they may not.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    allow: Vec<IpNet>,
    own: Vec<IpAddr>,
}

impl Egress {
    /// With `allow` let through, and this machine's interface addresses
    /// refused (unless allowed).
    pub fn new(allow: Vec<IpNet>) -> Egress {
        let own = if_addrs::get_if_addrs().map(|ifs| ifs.into_iter().map(|i| i.ip()).collect()).unwrap_or_default();
        Egress { allow, own }
    }

    /// Why a webhook may not reach `ip`, or None when it may.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = ip.to_canonical();
        if self.allow.iter().any(|net| net.contains(&ip)) {
            return None;
        }
        if let Some(kind) = special(ip) {
            return Some(kind);
        }
        self.own.iter().any(|own| own.to_canonical() == ip).then_some("an address of the BaaS server itself")
    }

    /// Refuses `url` when its host is an address webhooks may not reach
    /// (names are checked when resolved, by `Resolver`).
    pub fn check_literal(&self, url: &reqwest::Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default();
        let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() else {
            return Ok(());
        };
        match self.refusal(ip) {
            Some(kind) => Err(refused(&ip.to_string(), ip, kind)),
            None => Ok(()),
        }
    }

    /// The addresses `host` resolves to that webhooks may reach; an error
    /// naming the first refused one when none may be reached.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let found: Vec<SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(|e| format!("{host} does not resolve: {e}"))?.collect();
        let mut first_refusal = None;
        let allowed: Vec<SocketAddr> = found
            .into_iter()
            .filter(|a| match self.refusal(a.ip()) {
                None => true,
                Some(kind) => {
                    first_refusal.get_or_insert_with(|| refused(host, a.ip(), kind));
                    false
                }
            })
            .collect();
        match (allowed.is_empty(), first_refusal) {
            (false, _) => Ok(allowed),
            (true, Some(why)) => Err(why),
            (true, None) => Err(format!("{host} resolves to no address")),
        }
    }
}

fn refused(host: &str, ip: IpAddr, kind: &str) -> String {
    format!(
        "{REFUSED} {host} ({ip}: {kind}); receivers must be on public addresses, or the operator allows the \
         network with --webhook-allow"
    )
}

/// The kind of a non-public address, or None for a public one.
fn special(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared address space")
            } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
                Some("multicast or reserved")
            } else if a == 192 && b == 0 && v4.octets()[2] == 0 {
                Some("IETF protocol assignments")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast or reserved")
            } else {
                None
            }
        }
    }
}

/// reqwest's resolver for webhook deliveries: names resolve through the
/// system, and addresses webhooks may not reach are dropped at connect
/// time.
pub struct Resolver(pub Arc<Egress>);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let egress = self.0.clone();
        Box::pin(async move {
            let addrs = egress.resolve(name.as_str(), 0).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass_unless_allowed() {
        let egress = Egress { allow: vec!["10.1.0.0/16".parse().unwrap()], own: vec!["203.0.113.7".parse().unwrap()] };
        let table = [
            ("127.0.0.1", Some("loopback")),
            ("127.8.9.10", Some("loopback")),
            ("0.0.0.0", Some("unspecified")),
            ("10.0.0.1", Some("private")),
            ("10.1.2.3", None),
            ("172.16.0.1", Some("private")),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("100.64.0.1", Some("shared address space")),
            ("224.0.0.1", Some("multicast or reserved")),
            ("255.255.255.255", Some("multicast or reserved")),
            ("203.0.113.7", Some("an address of the BaaS server itself")),
            ("93.184.216.34", None),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("fd00::1", Some("private (unique local)")),
            ("fe80::1", Some("link-local")),
            ("2001:4860:4860::8888", None),
        ];
        for (ip, want) in table {
            assert_eq!(egress.refusal(ip.parse().unwrap()), want, "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_and_names_left_to_the_resolver() {
        let egress = Egress::default();
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let why = egress.check_literal(&url("http://127.0.0.1:7080/api")).unwrap_err();
        assert!(why.contains("loopback") && why.contains("--webhook-allow"), "{why}");
        assert!(egress.check_literal(&url("http://[::1]/")).is_err());
        assert!(egress.check_literal(&url("http://[::ffff:10.0.0.1]/")).is_err());
        assert!(egress.check_literal(&url("https://hooks.example.com/x")).is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused() {
        let why = Egress::default().resolve("localhost", 80).await.unwrap_err();
        assert!(why.starts_with(REFUSED) && why.contains("loopback"), "{why}");
        let allowed = Egress { allow: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()], own: vec![] };
        assert!(!allowed.resolve("localhost", 80).await.unwrap().is_empty());
    }
}
