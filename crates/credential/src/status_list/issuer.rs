//! The issuer's side: one status list, its index allocations, its credential.
//!
//! Steps for an issuer:
//! 1. [`StatusListIssuer::new`] with the URL the list will be published at
//!    and its purpose (one list per purpose; a credential that can be both
//!    revoked and suspended gets an entry in each);
//! 2. for each credential issued, [`StatusListIssuer::allocate`] a random free
//!    index and put [`StatusListIssuer::entry`] in its `credentialStatus`;
//! 3. [`StatusListIssuer::revoke`], [`StatusListIssuer::suspend`] or
//!    [`StatusListIssuer::reinstate`] as needed;
//! 4. publish [`StatusListIssuer::credential`], signed with the credential
//!    engine ([`crate::proof::add_proof`]), after each change.
//!
//! The whole state (allocations and bits) serializes with serde, so the caller
//! persists it between runs; losing the allocations would let an index be given
//! twice.

use std::collections::BTreeSet;

use crate::credential::{V2_CONTEXT, is_url};
use crate::proof::xsd_datetime;
use chrono::{DateTime, Utc};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::list::{StatusList, StatusPurpose};
use crate::StatusError;

/// Which indexes of a list are in use, and a random allocator of free ones.
///
/// Indexes are drawn uniformly from the whole list with a CSPRNG (herd
/// privacy: an index says nothing about when or in what order a credential
/// was issued), never sequentially.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexAllocator {
    entries: usize,
    allocated: BTreeSet<usize>,
}

impl IndexAllocator {
    /// Random draws before falling back to choosing among the free indexes
    /// directly (only a nearly full list gets there).
    const DRAWS: usize = 64;

    /// An allocator for a list of `entries`, nothing allocated.
    pub fn new(entries: usize) -> Self {
        Self { entries, allocated: BTreeSet::new() }
    }

    /// Entries in the list.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// How many indexes are allocated.
    pub fn allocated(&self) -> usize {
        self.allocated.len()
    }

    /// Whether `index` was allocated.
    pub fn is_allocated(&self, index: usize) -> bool {
        self.allocated.contains(&index)
    }

    /// A uniformly random free index, from the operating system's CSPRNG.
    pub fn allocate(&mut self) -> Result<usize, StatusError> {
        self.allocate_with(&mut rand_core::OsRng)
    }

    /// A uniformly random free index from `rng`: rejection sampling over the
    /// whole list, then (after 64 collisions) the n-th free index
    /// for a random n, which is uniform too.
    pub fn allocate_with<R: RngCore + CryptoRng>(&mut self, rng: &mut R) -> Result<usize, StatusError> {
        let free = self.entries.saturating_sub(self.allocated.len());
        if free == 0 {
            return Err(StatusError::ListFull { entries: self.entries });
        }
        for _ in 0..Self::DRAWS {
            let index = uniform(rng, self.entries);
            if self.allocated.insert(index) {
                return Ok(index);
            }
        }
        let nth = uniform(rng, free);
        let index = (0..self.entries)
            .filter(|i| !self.allocated.contains(i))
            .nth(nth)
            .expect("fewer allocations than entries leave `free` free indexes");
        self.allocated.insert(index);
        Ok(index)
    }
}

/// A uniform integer in `0..n` (`n > 0`), without modulo bias.
fn uniform<R: RngCore>(rng: &mut R, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX - n + 1) % n;
    loop {
        let x = rng.next_u64();
        if x <= zone {
            return usize::try_from(x % n).expect("below n, which is a usize");
        }
    }
}

/// One status list as its issuer keeps it: URL, purpose, bits and allocations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusListIssuer {
    url: String,
    purpose: StatusPurpose,
    list: StatusList,
    allocator: IndexAllocator,
}

impl StatusListIssuer {
    /// A list of [`StatusList::MIN_ENTRIES`] to be published at `url` (the
    /// status list credential's `id`, and what verifiers fetch).
    pub fn new(url: impl Into<String>, purpose: StatusPurpose) -> Result<Self, StatusError> {
        Self::with_entries(url, purpose, StatusList::MIN_ENTRIES)
    }

    /// A list of `entries` (at least [`StatusList::MIN_ENTRIES`]).
    pub fn with_entries(
        url: impl Into<String>,
        purpose: StatusPurpose,
        entries: usize,
    ) -> Result<Self, StatusError> {
        let url = url.into();
        if !is_url(&url) {
            return Err(StatusError::InvalidUrl(url));
        }
        let list = StatusList::new(entries)?;
        let allocator = IndexAllocator::new(list.len());
        Ok(Self { url, purpose, list, allocator })
    }

    /// The status list credential's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The list's purpose.
    pub fn purpose(&self) -> StatusPurpose {
        self.purpose
    }

    /// The bits.
    pub fn list(&self) -> &StatusList {
        &self.list
    }

    /// The allocations.
    pub fn allocator(&self) -> &IndexAllocator {
        &self.allocator
    }

    /// A random free index for a new credential.
    pub fn allocate(&mut self) -> Result<usize, StatusError> {
        self.allocator.allocate()
    }

    /// A random free index drawn from `rng` (a CSPRNG).
    pub fn allocate_with<R: RngCore + CryptoRng>(&mut self, rng: &mut R) -> Result<usize, StatusError> {
        self.allocator.allocate_with(rng)
    }

    /// The `credentialStatus` entry for the credential given `index`.
    /// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry>
    pub fn entry(&self, index: usize) -> Result<Value, StatusError> {
        self.allocated(index)?;
        Ok(json!({
            "id": format!("{}#{index}", self.url),
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose.name(),
            "statusListIndex": index.to_string(),
            "statusListCredential": self.url,
        }))
    }

    fn allocated(&self, index: usize) -> Result<(), StatusError> {
        if self.allocator.is_allocated(index) { Ok(()) } else { Err(StatusError::NotAllocated(index)) }
    }

    fn require(&self, purpose: StatusPurpose, operation: &'static str) -> Result<(), StatusError> {
        if self.purpose == purpose {
            Ok(())
        } else {
            Err(StatusError::WrongPurpose { operation, purpose: self.purpose })
        }
    }

    /// Whether the credential at `index` is revoked or suspended (per the
    /// list's purpose).
    pub fn is_set(&self, index: usize) -> Result<bool, StatusError> {
        self.list.get(index)
    }

    /// Revokes the credential at `index` (a revocation list). Final.
    pub fn revoke(&mut self, index: usize) -> Result<(), StatusError> {
        self.require(StatusPurpose::Revocation, "revoke")?;
        self.allocated(index)?;
        self.list.set(index, true)
    }

    /// Suspends the credential at `index` (a suspension list).
    pub fn suspend(&mut self, index: usize) -> Result<(), StatusError> {
        self.require(StatusPurpose::Suspension, "suspend")?;
        self.allocated(index)?;
        self.list.set(index, true)
    }

    /// Lifts the suspension of the credential at `index`. On a revocation
    /// list this is [`StatusError::RevocationIsFinal`] for a revoked index.
    pub fn reinstate(&mut self, index: usize) -> Result<(), StatusError> {
        self.allocated(index)?;
        if self.purpose == StatusPurpose::Revocation {
            return if self.list.get(index)? {
                Err(StatusError::RevocationIsFinal(index))
            } else {
                Err(StatusError::WrongPurpose { operation: "reinstate", purpose: self.purpose })
            };
        }
        self.list.set(index, false)
    }

    /// The unsigned `BitstringStatusListCredential` for the current bits, by
    /// `issuer` (the same issuer as the credentials it covers), valid from
    /// `valid_from` until `valid_until`. Sign it with the credential engine.
    /// See: <https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential>
    pub fn credential(
        &self,
        issuer: &str,
        valid_from: DateTime<Utc>,
        valid_until: Option<DateTime<Utc>>,
    ) -> Value {
        let mut credential = json!({
            "@context": [V2_CONTEXT],
            "id": self.url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": xsd_datetime(valid_from),
            "credentialSubject": {
                "id": format!("{}#list", self.url),
                "type": "BitstringStatusList",
                "statusPurpose": self.purpose.name(),
                "encodedList": self.list.encode(),
            },
        });
        if let Some(until) = valid_until {
            credential["validUntil"] = xsd_datetime(until).into();
        }
        credential
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A deterministic "CSPRNG" for the fallback path: always the same draw.
    struct Stuck;
    impl RngCore for Stuck {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            dest.fill(0);
            Ok(())
        }
    }
    impl CryptoRng for Stuck {}

    #[test]
    fn a_full_list_is_an_error_and_collisions_fall_back_to_free_indexes() {
        let mut allocator = IndexAllocator::new(3);
        let mut got: Vec<usize> = (0..3).map(|_| allocator.allocate_with(&mut Stuck).unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(allocator.allocate(), Err(StatusError::ListFull { entries: 3 }));
    }

    #[test]
    fn uniform_stays_below_its_bound() {
        for n in [1, 2, 3, 7, 131_072] {
            for _ in 0..100 {
                assert!(uniform(&mut rand_core::OsRng, n) < n);
            }
        }
    }

    #[test]
    fn purposes_guard_the_operations() {
        let url = "https://example.com/status/1";
        let mut revocation = StatusListIssuer::new(url, StatusPurpose::Revocation).unwrap();
        let i = revocation.allocate().unwrap();
        assert!(matches!(revocation.suspend(i), Err(StatusError::WrongPurpose { .. })));
        let other = (i + 1) % StatusList::MIN_ENTRIES;
        assert_eq!(revocation.revoke(other), Err(StatusError::NotAllocated(other)));
        revocation.revoke(i).unwrap();
        assert_eq!(revocation.reinstate(i), Err(StatusError::RevocationIsFinal(i)));
        assert!(revocation.is_set(i).unwrap());

        let mut suspension = StatusListIssuer::new(url, StatusPurpose::Suspension).unwrap();
        let j = suspension.allocate().unwrap();
        assert!(matches!(suspension.revoke(j), Err(StatusError::WrongPurpose { .. })));
        suspension.suspend(j).unwrap();
        assert!(suspension.is_set(j).unwrap());
        suspension.reinstate(j).unwrap();
        assert!(!suspension.is_set(j).unwrap());
        assert!(StatusListIssuer::new("not a url", StatusPurpose::Suspension).is_err());
    }
}
