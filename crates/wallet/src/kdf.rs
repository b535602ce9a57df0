//! The key-encryption key: Argon2id over the passphrase.
//!
//! Parameters are stored in the wallet and calibrated at init so one
//! derivation takes about 0.5–1 s on the machine, never below the floor
//! (m = 64 MiB, t = 3, p = 1). A file's parameters are checked against a
//! ceiling *before* any work, so a hostile wallet file cannot make `open`
//! allocate gigabytes or spin for minutes.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::WalletError;

/// Argon2id parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The floor: m = 64 MiB, t = 3, p = 1. Nothing weaker is accepted.
    pub const FLOOR: KdfParams = KdfParams { m_kib: 64 * 1024, t: 3, p: 1 };
    /// The ceiling: m = 2 GiB, t = 64, p = 8. Nothing costlier is attempted.
    pub const CEILING: KdfParams = KdfParams { m_kib: 2 * 1024 * 1024, t: 64, p: 8 };

    /// Checks the parameters against the floor and the ceiling.
    pub fn check(&self) -> Result<(), WalletError> {
        let (f, c) = (Self::FLOOR, Self::CEILING);
        let bad = |what: &str| Err(WalletError::KdfParameters(what.to_owned()));
        if self.m_kib < f.m_kib || self.t < f.t || self.p < f.p {
            return bad("below the floor (m=64 MiB, t=3, p=1)");
        }
        if self.m_kib > c.m_kib || self.t > c.t || self.p > c.p {
            return bad("above the ceiling (m=2 GiB, t=64, p=8)");
        }
        Ok(())
    }

    /// `params` checked against the bounds, or calibrated to about 0.5 s here
    /// when `None`.
    pub fn or_calibrated(params: Option<KdfParams>) -> Result<KdfParams, WalletError> {
        match params {
            Some(p) => {
                p.check()?;
                Ok(p)
            }
            None => Self::calibrate(Duration::from_millis(500)),
        }
    }

    /// Calibrates on this machine: memory first (up to 256 MiB), then passes,
    /// until one derivation takes at least `target` (≥ the floor always).
    pub fn calibrate(target: Duration) -> Result<KdfParams, WalletError> {
        let mut params = Self::FLOOR;
        loop {
            let start = Instant::now();
            derive(b"calibration", &[0u8; 16], &params)?;
            let took = start.elapsed();
            if took >= target {
                return Ok(params);
            }
            // Scale toward the target in one step, then settle.
            let factor = (target.as_secs_f64() / took.as_secs_f64().max(1e-3)).clamp(1.1, 8.0);
            if params.m_kib < 256 * 1024 {
                params.m_kib = ((f64::from(params.m_kib) * factor) as u32).min(256 * 1024);
            } else {
                params.t = ((f64::from(params.t) * factor).ceil() as u32).min(Self::CEILING.t);
                if params.t == Self::CEILING.t {
                    return Ok(params);
                }
            }
        }
    }
}

/// Derives the 32-byte key-encryption key. Checks `params` first.
pub fn derive(
    passphrase: &[u8],
    salt: &[u8],
    params: &KdfParams,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    params.check()?;
    let p = Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|e| WalletError::KdfParameters(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase, salt, out.as_mut())
        .map_err(|e| WalletError::KdfParameters(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_before_work() {
        assert!(KdfParams::FLOOR.check().is_ok());
        let weak = KdfParams { m_kib: 1024, t: 1, p: 1 };
        assert!(matches!(derive(b"x", &[0; 16], &weak), Err(WalletError::KdfParameters(_))));
        // Would take hours and 4 TiB: refused at once.
        let hostile = KdfParams { m_kib: u32::MAX, t: u32::MAX, p: 255 };
        assert!(matches!(derive(b"x", &[0; 16], &hostile), Err(WalletError::KdfParameters(_))));
    }
}
