//! W3C Bitstring Status List v1.0: revocation and suspension of credentials.
//!
//! | job | type |
//! |---|---|
//! | the bits and their `encodedList` form | [`didam_credential::status_list::StatusList`] |
//! | an issuer's list: allocate, revoke, suspend, reinstate, publish | [`didam_credential::status_list::StatusListIssuer`] |
//! | where a verifier gets lists from | [`StatusSource`], [`StaticStatusSource`] |
//! | lists over HTTPS (feature `net`) | `HttpStatusSource` |
//! | lists on the ledger by DID URL, else HTTPS (feature `net`) | `LedgerStatusSource` |
//! | a bounded cache of fetched lists honouring `validUntil` and `ttl` | [`CachedStatusSource`] |
//! | the verifier's bounded cache of verified lists, by URL, issuer and digest | [`StatusListCacheOptions`], [`Verifier::with_status_list_cache`](crate::Verifier::with_status_list_cache) |
//!
//! A verifier checks status through [`Verifier::with_status_source`](crate::Verifier::with_status_source).
//! For each `BitstringStatusListEntry` of a credential (the spec's "Validate
//! Algorithm", §3.2), one status list fetch per verification and URL:
//! 1. fetch the `statusListCredential` from the [`StatusSource`];
//! 2. verify it as a credential with the same resolver and clock
//!    (`status-list`): its proof, made with a key of its issuer, that it is a
//!    `BitstringStatusListCredential` with the entry's `statusPurpose` and the
//!    fetched URL as `id`, and that its `encodedList` decodes; a list fetched
//!    with the same bytes, for the same issuer, that passed all this before
//!    is taken from the verifier's cache instead, within its freshness bound
//!    (module [`verified`]: 5 minutes by default, never past the list's
//!    `validUntil` or `ttl`; a changed list is always verified again);
//! 3. its issuer is the credential's issuer (`status-list-issuer`);
//! 4. it is fresh: within `validFrom`/`validUntil`, and no older than the
//!    policy's `max_status_age` (`status-list-freshness`);
//! 5. read the bit at `statusListIndex` (`status`): set means revoked or
//!    suspended.
//!
//! Entries of other types, and the `message` and `refresh` purposes, do not
//! bear on validity and are reported as not applicable. A revocation or
//! suspension entry with a `statusSize` other than 1, or a list the source
//! cannot provide, makes the credential's status uncheckable: an
//! [`Error::Status`](didam_credential::Error::Status).
//!
//! See: <https://www.w3.org/TR/vc-bitstring-status-list/>

mod cache;
pub(crate) mod check;
#[cfg(feature = "net")]
mod net;
mod source;
pub mod verified;

pub use cache::CachedStatusSource;
#[cfg(feature = "net")]
pub use net::{HttpStatusSource, LedgerStatusSource, SharedResolver};
pub use source::{NoStatusSource, StaticStatusSource, StatusSource};
pub use verified::{StatusListCacheOptions, StatusListCacheStats};
