//! The client's address: the TCP peer, or the forwarded-for chain only when the peer is a
//! configured proxy.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client's address, as text ("unknown" when the connection has no peer address).
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> String {
    client_addr(req, trusted_proxies).map_or_else(|| "unknown".to_owned(), ip_text)
}

/// The client's address, when the connection has a peer address.
pub fn client_addr(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // Walk from the nearest hop back; the first address that is not one of our proxies is the client.
    Some(
        forwarded
            .iter()
            .rev()
            .find(|ip| !trusted_proxies.contains(ip))
            .copied()
            .unwrap_or(peer),
    )
}

/// An address as `Display` writes it; an IPv4 one without the formatting machinery (every API
/// call writes its caller's address).
pub fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut s = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if octet >= 100 {
            s.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            s.push(char::from(b'0' + octet / 10 % 10));
        }
        s.push(char::from(b'0' + octet % 10));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn ip_text_is_what_display_writes() {
        for a in 0..=255u8 {
            for ip in [
                Ipv4Addr::new(a, 0, 9, 10),
                Ipv4Addr::new(99, a, 100, 255),
                Ipv4Addr::new(1, 19, a, 200),
                Ipv4Addr::new(203, 0, 113, a),
            ] {
                assert_eq!(ip_text(IpAddr::V4(ip)), ip.to_string());
            }
        }
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(ip_text(v6), "2001:db8::1");
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(ip_text(mapped), mapped.to_string());
    }
}
