//! Which clients an adapter accepts: `allow`/`deny` lists with TarsCpp's `order` rules.

use std::net::IpAddr;

use crate::config::AdapterConfig;

/// `allow`/`deny` lists with TarsCpp's `order` rules; a `*` matches one address segment.
#[derive(Debug, Clone)]
pub(crate) struct AccessList {
    allow: Vec<String>,
    deny: Vec<String>,
    deny_first: bool,
}

impl AccessList {
    pub(crate) fn new(a: &AdapterConfig) -> Self {
        let deny_first = a.order.to_ascii_lowercase().replace(' ', "").starts_with("deny");
        AccessList {
            allow: a.allow.clone(),
            deny: a.deny.clone(),
            deny_first,
        }
    }

    pub(crate) fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        }
        .to_string();
        let matches = |list: &[String]| list.iter().any(|p| pattern_matches(p, &ip));
        if self.deny_first {
            if matches(&self.deny) {
                return false;
            }
            self.allow.is_empty() || matches(&self.allow)
        } else {
            if matches(&self.allow) {
                return true;
            }
            if matches(&self.deny) {
                return false;
            }
            self.allow.is_empty()
        }
    }
}

fn pattern_matches(pattern: &str, ip: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == ip;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let a: Vec<&str> = ip.split('.').collect();
    // A trailing `*` also covers the remaining segments (`10.0.*`).
    if p.last() == Some(&"*") && p.len() <= a.len() {
        return p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a);
    }
    p.len() == a.len() && p.iter().zip(&a).all(|(p, a)| *p == "*" || p == a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_lists() {
        let mut a = AdapterConfig::new("A".into(), "tcp -h 0.0.0.0 -p 1".parse().unwrap(), "S".into());
        let all = AccessList::new(&a);
        assert!(all.allows("1.2.3.4".parse().unwrap()));
        a.allow = vec!["127.0.0.1".into(), "10.0.*".into()];
        let l = AccessList::new(&a);
        assert!(l.allows("127.0.0.1".parse().unwrap()));
        assert!(l.allows("10.0.5.6".parse().unwrap()));
        assert!(!l.allows("10.1.5.6".parse().unwrap()));
        a.allow = vec![];
        a.deny = vec!["192.168.*.*".into()];
        let d = AccessList::new(&a);
        assert!(!d.allows("192.168.1.1".parse().unwrap()));
        assert!(d.allows("192.169.1.1".parse().unwrap()));
    }
}
