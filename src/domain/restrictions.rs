//! Optional restrictions of a key: the addresses it may be used from, and how many requests a
//! minute it may make. Parsed from the Generate and Edit forms; enforced on the API.

use std::net::IpAddr;

use ipnet::IpNet;

use super::FieldError;

pub const MAX_RANGES: usize = 20;
pub const MAX_PER_MINUTE: u32 = 100_000;

/// The address ranges a key may be used from (IPv4 and IPv6; a single address is a /32 or /128).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAllowlist(Vec<IpNet>);

impl IpAllowlist {
    /// Parses ranges separated by commas, spaces or lines; empty input is no restriction.
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let mut nets = Vec::new();
        for item in raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    FieldError::new(
                        "allowed_ips",
                        format!(
                            "\"{}\" is not an IP address or CIDR range (such as 203.0.113.0/24 or 2001:db8::/32).",
                            item.chars().take(60).collect::<String>()
                        ),
                    )
                })?;
            let net = net.trunc();
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > MAX_RANGES {
            return Err(FieldError::new(
                "allowed_ips",
                format!("List at most {MAX_RANGES} addresses or ranges."),
            ));
        }
        Ok((!nets.is_empty()).then_some(Self(nets)))
    }

    /// A list no address is in.
    pub fn nowhere() -> Self {
        Self(Vec::new())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// "203.0.113.0/24, 2001:db8::/32": how it is stored and shown.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Parses the Requests per minute field; empty is no limit.
pub fn parse_rate_limit(raw: &str) -> Result<Option<u32>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_PER_MINUTE).contains(&n) => Ok(Some(n)),
        _ => Err(FieldError::new(
            "rate_limit",
            format!("Enter a whole number of requests a minute, from 1 to {MAX_PER_MINUTE}, or leave it empty for no limit."),
        )),
    }
}

/// A key's restrictions, as the forms give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    pub allowed_ips: Option<IpAllowlist>,
    pub rate_limit: Option<u32>,
}

impl Restrictions {
    pub fn parse(allowed_ips: &str, rate_limit: &str) -> Result<Self, Vec<FieldError>> {
        match (
            IpAllowlist::parse(allowed_ips),
            parse_rate_limit(rate_limit),
        ) {
            (Ok(allowed_ips), Ok(rate_limit)) => Ok(Self {
                allowed_ips,
                rate_limit,
            }),
            (a, r) => Err(a.err().into_iter().chain(r.err()).collect()),
        }
    }

    pub fn allowed_text(&self) -> Option<String> {
        self.allowed_ips.as_ref().map(IpAllowlist::to_text)
    }
}

/// Where a key stands after an allowed call: its limit, the requests left now, and the seconds
/// until its bucket is full again (the `RateLimit-*` headers of every answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub limit: u32,
    pub remaining: u32,
    pub reset: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_match() {
        let l = IpAllowlist::parse("203.0.113.0/24, 198.51.100.7\n2001:db8::/32")
            .unwrap()
            .unwrap();
        assert_eq!(
            l.to_text(),
            "203.0.113.0/24, 198.51.100.7/32, 2001:db8::/32"
        );
        assert!(l.contains("203.0.113.9".parse().unwrap()));
        assert!(l.contains("198.51.100.7".parse().unwrap()));
        assert!(!l.contains("198.51.100.8".parse().unwrap()));
        assert!(l.contains("2001:db8::1".parse().unwrap()));
        assert!(
            l.contains("::ffff:203.0.113.5".parse().unwrap()),
            "IPv4-mapped IPv6"
        );
        assert!(!l.contains("2001:db9::1".parse().unwrap()));
        assert_eq!(IpAllowlist::parse("  ").unwrap(), None);
        assert_eq!(
            IpAllowlist::parse("10.0.0.1/24")
                .unwrap()
                .unwrap()
                .to_text(),
            "10.0.0.0/24",
            "host bits are dropped"
        );
        assert_eq!(
            IpAllowlist::parse("300.1.1.1").unwrap_err().field,
            "allowed_ips"
        );
        assert_eq!(
            IpAllowlist::parse("10.0.0.0/33").unwrap_err().field,
            "allowed_ips"
        );
        let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(IpAllowlist::parse(&many.join(",")).is_err());
    }

    #[test]
    fn rate_limits() {
        assert_eq!(parse_rate_limit("").unwrap(), None);
        assert_eq!(parse_rate_limit("60").unwrap(), Some(60));
        assert!(parse_rate_limit("0").is_err());
        assert!(parse_rate_limit("lots").is_err());
        assert!(parse_rate_limit("100001").is_err());
    }
}
