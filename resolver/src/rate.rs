//! The per-client rate limit.
//!
//! 1. **Who is the client.** The peer's address, unless the peer is one of
//!    the configured trusted proxies: then the `Forwarded` (RFC 7239) or
//!    `X-Forwarded-For` header is read from the right, skipping trusted
//!    proxies, and the first address that is not one is the client. A header
//!    from any other peer is ignored, so it cannot change the key.
//! 2. **Its key.** The client's network prefix: its IPv6 /64 (one subscriber
//!    gets a /64, so spreading requests over it gains nothing) or its IPv4
//!    address cut to the configured prefix length (default /32).
//!    IPv4-mapped IPv6 addresses count as IPv4.
//! 3. **Its bucket.** A GCRA bucket in `governor`'s sharded map: an O(1)
//!    lookup, no global lock. [`RateLimiter::run_janitor`] forgets, every
//!    second, the buckets that are full again (`retain_recent`), so the table
//!    holds only the clients seen in the last `burst / rate` seconds.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// The prefix length an IPv6 client is keyed by.
pub const IPV6_PREFIX: u8 = 64;

/// Which addresses are one client, and whom to believe about them.
#[derive(Clone, Debug)]
pub struct ClientKeys {
    ipv4_prefix: u8,
    trusted_proxies: Vec<IpNet>,
}

impl Default for ClientKeys {
    /// IPv4 /32, IPv6 /64, no trusted proxies.
    fn default() -> Self {
        Self { ipv4_prefix: 32, trusted_proxies: Vec::new() }
    }
}

/// An IPv4 prefix length over 32.
#[derive(Debug, thiserror::Error)]
#[error("the IPv4 prefix length of the rate limit is {0}; it must be 0 to 32")]
pub struct InvalidPrefix(pub u8);

impl ClientKeys {
    /// Keys IPv4 clients by their first `ipv4_prefix` bits; believes
    /// forwarding headers only from a peer within `trusted_proxies`.
    pub fn new(ipv4_prefix: u8, trusted_proxies: Vec<IpNet>) -> Result<Self, InvalidPrefix> {
        if ipv4_prefix > 32 {
            return Err(InvalidPrefix(ipv4_prefix));
        }
        Ok(Self { ipv4_prefix, trusted_proxies })
    }

    /// The rate-limit key of a request from `peer` with `headers`.
    pub fn key(&self, peer: IpAddr, headers: &HeaderMap) -> IpNet {
        self.prefix(self.client(peer, headers))
    }

    /// The network prefix `ip` is counted under.
    pub fn prefix(&self, ip: IpAddr) -> IpNet {
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                IpNet::V4(Ipv4Net::new(v4, self.ipv4_prefix).expect("the prefix was checked in new").trunc())
            }
            IpAddr::V6(v6) => IpNet::V6(Ipv6Net::new(v6, IPV6_PREFIX).expect("64 <= 128").trunc()),
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer's, or, from a trusted proxy, the
    /// rightmost forwarded address that is not a trusted proxy.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let chain = forwarded_for(headers);
        let mut client = peer;
        for hop in chain.iter().rev() {
            // A hop we cannot read ("unknown", an obfuscated name): the
            // last proxy we trust is as far as we can see.
            let Some(ip) = hop else { break };
            client = *ip;
            if !self.trusted(*ip) {
                break;
            }
        }
        client
    }
}

/// The forwarded-for chain, left (client) to right (nearest proxy): from
/// `Forwarded` when present, else from `X-Forwarded-For`. `None` for a hop
/// that is not an IP address.
///
/// See: <https://www.rfc-editor.org/rfc/rfc7239#section-5.2>
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<_> = headers.get_all("forwarded").iter().filter_map(|v| v.to_str().ok()).collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(parse_node)
        .collect()
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:80`,
/// `2001:db8::1`, `"[2001:db8::1]:80"`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    text.rsplit_once(':').and_then(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().ok()).map(IpAddr::V4)
}

/// Token buckets keyed by client prefix.
#[derive(Debug)]
pub struct RateLimiter {
    keys: ClientKeys,
    buckets: DefaultKeyedRateLimiter<IpNet>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// `rate` requests per second with bursts of `burst`, per key of `keys`;
    /// `None` when `rate` is not positive (rate limiting off).
    pub fn new(rate: f64, burst: u32, keys: ClientKeys) -> Option<Self> {
        if rate.is_nan() || rate <= 0.0 {
            return None;
        }
        let period =
            Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::MAX).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Self { keys, buckets: DefaultKeyedRateLimiter::dashmap(quota), clock: DefaultClock::default() })
    }

    /// Takes a token for the client of a request from `peer` with `headers`:
    /// `Ok` if there was one, else `Err` with the whole seconds until there is.
    pub fn check(&self, peer: IpAddr, headers: &HeaderMap) -> Result<(), u64> {
        let key = self.keys.key(peer, headers);
        self.buckets.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// How many clients have a bucket now.
    pub fn clients(&self) -> usize {
        self.buckets.len()
    }

    /// Forgets the buckets that are full again, every `period`, and gives
    /// the freed memory back; runs until the limiter is dropped elsewhere.
    pub async fn run_janitor(limiter: std::sync::Weak<Self>, period: Duration) {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(limiter) = limiter.upgrade() else { return };
            limiter.forget_idle();
        }
    }

    /// Forgets the buckets that are full again (indistinguishable from a
    /// new client's) and shrinks the table.
    pub fn forget_idle(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
        metrics::gauge!("didam_rate_limit_clients").set(self.buckets.len() as f64);
    }

    /// Starts [`Self::run_janitor`] on the current tokio runtime.
    pub fn spawn_janitor(limiter: &Arc<Self>) {
        tokio::spawn(Self::run_janitor(Arc::downgrade(limiter), Duration::from_secs(1)));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn one_ipv6_64_is_one_key_and_ipv4_follows_its_prefix() {
        let keys = ClientKeys::new(32, vec![]).unwrap();
        let none = HeaderMap::new();
        assert_eq!(keys.key(ip("2001:db8:1:2::1"), &none), keys.key(ip("2001:db8:1:2:ffff::9"), &none));
        assert_ne!(keys.key(ip("2001:db8:1:2::1"), &none), keys.key(ip("2001:db8:1:3::1"), &none));
        assert_ne!(keys.key(ip("10.0.0.1"), &none), keys.key(ip("10.0.0.2"), &none));
        assert_eq!(keys.key(ip("::ffff:10.0.0.1"), &none), keys.key(ip("10.0.0.1"), &none), "mapped is IPv4");
        let keys = ClientKeys::new(24, vec![]).unwrap();
        assert_eq!(keys.key(ip("10.0.0.1"), &none), keys.key(ip("10.0.0.200"), &none));
        assert_eq!(keys.key(ip("10.0.0.1"), &none).to_string(), "10.0.0.0/24");
        assert!(ClientKeys::new(33, vec![]).is_err());
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let keys = ClientKeys::new(32, vec!["10.0.0.0/8".parse().unwrap()]).unwrap();
        let xff = headers(&[("x-forwarded-for", "198.51.100.7, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(keys.client(ip("192.0.2.1"), &xff), ip("192.0.2.1"), "untrusted peer: header ignored");
        assert_eq!(keys.client(ip("10.0.0.1"), &xff), ip("203.0.113.9"), "rightmost untrusted hop");
        let fwd = headers(&[("forwarded", "for=198.51.100.7, for=\"[2001:db8::1]:4711\";proto=https")]);
        assert_eq!(keys.client(ip("10.0.0.1"), &fwd), ip("2001:db8::1"));
        assert_eq!(keys.client(ip("::ffff:10.0.0.1"), &fwd), ip("2001:db8::1"), "a mapped proxy is trusted");
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(keys.client(ip("10.0.0.1"), &unknown), ip("10.0.0.1"));
        let ported = headers(&[("x-forwarded-for", "198.51.100.7:5555")]);
        assert_eq!(keys.client(ip("10.0.0.1"), &ported), ip("198.51.100.7"));
    }

    #[test]
    fn a_burst_then_a_wait_and_idle_buckets_are_forgotten() {
        let keys = ClientKeys::new(32, vec![]).unwrap();
        let limiter = RateLimiter::new(0.5, 3, keys).unwrap();
        let none = HeaderMap::new();
        for _ in 0..3 {
            assert!(limiter.check(ip("10.0.0.1"), &none).is_ok());
        }
        let wait = limiter.check(ip("10.0.0.1"), &none).unwrap_err();
        assert!((1..=2).contains(&wait), "one token per 2 s, waited {wait}");
        assert!(limiter.check(ip("10.0.0.2"), &none).is_ok(), "buckets are per client");
        assert_eq!(limiter.clients(), 2);
        assert!(RateLimiter::new(0.0, 10, ClientKeys::default()).is_none(), "0 turns it off");
        let fast = RateLimiter::new(1e9, 1, ClientKeys::default()).unwrap();
        assert!(fast.check(ip("10.0.0.1"), &none).is_ok());
        std::thread::sleep(Duration::from_millis(5));
        fast.forget_idle();
        assert_eq!(fast.clients(), 0, "a full bucket is forgotten");
    }
}
