//! A per-client rate limit: one token bucket per peer IP address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets keyed by client IP.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// Most clients tracked; past this, full buckets are forgotten.
    const MAX_CLIENTS: usize = 100_000;

    /// `rate` requests per second with bursts of `burst`; `None` when
    /// `rate` is not positive (rate limiting off).
    pub fn new(rate: f64, burst: u32) -> Option<Self> {
        (rate > 0.0).then(|| Self {
            rate,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a token for `ip`: `Ok` if there was one, else `Err` with the
    /// seconds until there is.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= Self::MAX_CLIENTS {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(2.0, 3).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(a, t).is_ok());
        }
        assert_eq!(limiter.check_at(a, t), Err(1));
        assert!(limiter.check_at(b, t).is_ok(), "buckets are per client");
        assert!(limiter.check_at(a, t + Duration::from_millis(500)).is_ok(), "one token per 500 ms");
        assert!(limiter.check_at(a, t + Duration::from_millis(500)).is_err());
        assert!(RateLimiter::new(0.0, 10).is_none(), "0 turns it off");
    }
}
