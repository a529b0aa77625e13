//! Where calls to addresses an organization names may go (webhook connectors and event
//! notices): the public internet only. Loopback, private (RFC 1918), shared (CGNAT
//! 100.64.0.0/10), link-local, unique-local, multicast, unspecified, reserved and documentation
//! addresses are refused, in every spelling (`0x7f000001`, `2130706433`, `127.1`, `0177.0.0.1`
//! parse to 127.0.0.1; IPv4-mapped and NAT64 IPv6 forms are judged by the IPv4 address inside),
//! and so are names that only mean something inside a network (`localhost`, `*.internal`,
//! `*.local`, single labels, cloud metadata names).
//!
//! A URL is checked when it is stored, and again at every call: names are resolved through
//! [`PolicedResolver`], which hands the connection only addresses the policy allows, so a name
//! that later resolves to a private address (DNS rebinding) reaches nothing. Redirects are
//! never followed. `AME_EGRESS_ALLOW` lists networks (CIDR) and host names that are allowed
//! anyway, for receivers on a private network; it is empty by default.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// Names that resolve to cloud metadata services or only inside a network.
const INTERNAL_NAMES: &[&str] = &[
    "localhost",
    "metadata",
    "metadata.google.internal",
    "instance-data",
    "instance-data.ec2.internal",
];

/// Suffixes of names that only mean something inside a network.
const INTERNAL_SUFFIXES: &[&str] = &[
    ".localhost",
    ".internal",
    ".local",
    ".localdomain",
    ".home.arpa",
];

/// What a connector's URL must be, for the problem answer.
pub const URL_RULE: &str = "must be an https:// URL to a public address (http:// and private \
     addresses only where AME_EGRESS_ALLOW allows them), without credentials or control \
     characters, at most 2000 characters";

/// Networks and host names allowed although the policy would refuse them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    networks: Vec<IpNet>,
    hosts: Vec<String>,
}

impl EgressPolicy {
    /// Reads `AME_EGRESS_ALLOW`'s form: comma-separated CIDR networks, addresses and host
    /// names (`10.20.0.0/16,hooks.corp.example,::1`).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut policy = EgressPolicy::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if let Ok(net) = item.parse::<IpNet>() {
                policy.networks.push(net);
            } else if let Ok(ip) = item.parse::<IpAddr>() {
                policy.networks.push(IpNet::from(ip));
            } else if item
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !item.starts_with('.')
            {
                policy.hosts.push(item.to_ascii_lowercase());
            } else {
                return Err(format!(
                    "`{item}` is neither a network (CIDR), an address nor a host name"
                ));
            }
        }
        Ok(policy)
    }

    /// Whether `host` is allowed by name.
    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Whether a call may connect to `ip` (reached through `host`, if by name).
    pub fn address_allowed(&self, host: Option<&str>, ip: IpAddr) -> bool {
        is_public(ip)
            || self.networks.iter().any(|n| n.contains(&ip))
            || host.is_some_and(|h| self.host_allowed(h))
    }

    /// Checks a URL an organization wants called: `Ok` with it parsed, `Err` with what is
    /// wrong ([`URL_RULE`] says what is allowed).
    pub fn check_url(&self, raw: &str) -> Result<Url, &'static str> {
        if raw.len() > 2000 {
            return Err("is longer than 2000 characters");
        }
        if raw.chars().any(char::is_control) {
            return Err("contains control characters");
        }
        let url = Url::parse(raw).map_err(|_| "is not a URL")?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("carries credentials");
        }
        let host = url.host().ok_or("has no host")?;
        let allowed_by_name = match &host {
            Host::Domain(name) => self.host_allowed(name),
            _ => false,
        };
        let allowed_privately = allowed_by_name
            || match host {
                Host::Ipv4(ip) => self.networks.iter().any(|n| n.contains(&IpAddr::V4(ip))),
                Host::Ipv6(ip) => self.networks.iter().any(|n| n.contains(&IpAddr::V6(ip))),
                Host::Domain(_) => false,
            };
        match url.scheme() {
            "https" => {}
            "http" if allowed_privately => {}
            _ => return Err("is not https://"),
        }
        match host {
            Host::Ipv4(ip) if !self.address_allowed(None, IpAddr::V4(ip)) => {
                Err("names a private, loopback or reserved address")
            }
            Host::Ipv6(ip) if !self.address_allowed(None, IpAddr::V6(ip)) => {
                Err("names a private, loopback or reserved address")
            }
            Host::Domain(name) if !allowed_by_name && is_internal_name(name) => {
                Err("names a host that only exists inside a network")
            }
            _ => Ok(url),
        }
    }
}

/// Whether `name` only means something inside a network.
fn is_internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    !name.contains('.')
        || INTERNAL_NAMES.contains(&name.as_str())
        || INTERNAL_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Whether `ip` is an ordinary public internet address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) and the IPv4-compatible form carry an IPv4 address.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || segments[..6] == [0; 6] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || segments[0] == 0x2001 && segments[1] == 0x0db8 // documentation
                || segments[0] == 0x2002) // 6to4 embeds any IPv4 address
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// The longest a receiver's name may take to resolve.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A DNS resolver that hands a connection only the addresses the policy allows, so what a
/// name resolves to at call time is checked, not only when the URL was stored.
#[derive(Debug, Clone)]
pub struct PolicedResolver {
    policy: Arc<EgressPolicy>,
}

impl PolicedResolver {
    /// A resolver enforcing `policy`.
    pub fn new(policy: Arc<EgressPolicy>) -> Self {
        Self { policy }
    }
}

impl reqwest::dns::Resolve for PolicedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if is_internal_name(&host) && !policy.host_allowed(&host) {
                return Err(refused());
            }
            // A resolver that does not answer must not hold the call (and a worker's slot)
            // for the system resolver's own retries.
            let found: Vec<SocketAddr> =
                tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host.as_str(), 0)))
                    .await
                    .map_err(|_| refused())??
                    .filter(|a| policy.address_allowed(Some(&host), a.ip()))
                    .collect();
            if found.is_empty() {
                return Err(refused());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn refused() -> Box<dyn std::error::Error + Send + Sync> {
    "the address is not allowed".into()
}

/// Whether a call to `url` may be made now: a literal address is checked here (names are
/// checked by [`PolicedResolver`] when the connection resolves them).
pub fn call_allowed(policy: &EgressPolicy, url: &str) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    match url.host() {
        Some(Host::Ipv4(ip)) => policy.address_allowed(None, IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => policy.address_allowed(None, IpAddr::V6(ip)),
        Some(Host::Domain(_)) => true,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_internal_target_is_refused_when_stored() {
        let policy = EgressPolicy::default();
        for url in [
            "http://127.0.0.1:5432",
            "https://127.0.0.1:8080/api",
            "https://[::1]/",
            "https://0x7f000001/",
            "https://2130706433/",
            "https://127.1/",
            "https://0177.0.0.1/",
            "https://localhost/",
            "https://api.localhost/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/",
            "https://192.168.0.1/",
            "https://172.16.5.4/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:7f00:1]/",
            "https://[64:ff9b::a00:1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://metadata/",
            "https://intranet/",
            "https://hooks.example.com/a\r\nX-Injected: 1",
            "https://user:secret@hooks.example.com/",
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
        ] {
            assert!(policy.check_url(url).is_err(), "{url} was accepted");
        }
        assert!(policy.check_url("https://hooks.example.com/ame").is_ok());
        assert!(policy.check_url("https://93.184.215.14/hook").is_ok());
        assert!(policy.check_url("https://[2606:4700::1111]/hook").is_ok());
    }

    #[test]
    fn the_allow_list_opens_named_networks_and_hosts_only() {
        let policy = EgressPolicy::parse("10.20.0.0/16, hooks.corp.example,127.0.0.1").unwrap();
        assert!(policy.check_url("http://10.20.3.4:8080/hook").is_ok());
        assert!(policy.check_url("https://hooks.corp.example/x").is_ok());
        assert!(policy.check_url("http://127.0.0.1:9000/x").is_ok());
        assert!(policy.check_url("https://10.21.0.1/").is_err());
        assert!(policy.check_url("https://192.168.1.1/").is_err());
        assert!(policy.check_url("http://hooks.example.com/").is_err());
        assert!(EgressPolicy::parse("not a network!").is_err());
        assert!(EgressPolicy::parse("").unwrap() == EgressPolicy::default());
    }

    #[test]
    fn literal_addresses_are_checked_again_at_call_time() {
        let policy = EgressPolicy::default();
        assert!(!call_allowed(&policy, "http://127.0.0.1:5432/"));
        assert!(!call_allowed(&policy, "https://[::ffff:10.0.0.1]/"));
        assert!(call_allowed(&policy, "https://hooks.example.com/"));
        assert!(!is_public("2002:7f00:1::".parse().unwrap()));
        assert!(is_public(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8))));
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_reach_nothing() {
        use reqwest::dns::Resolve;
        let resolver = PolicedResolver::new(Arc::new(EgressPolicy::default()));
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        // `localhost.` and a name of the loopback address are refused at resolution.
        assert!(resolver.resolve(name("localhost")).await.is_err());
        let allowed = PolicedResolver::new(Arc::new(EgressPolicy::parse("localhost").unwrap()));
        assert!(allowed.resolve(name("localhost")).await.is_ok());
    }
}
