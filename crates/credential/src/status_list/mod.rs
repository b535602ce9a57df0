//! W3C Bitstring Status List v1.0, the issuer's half: the bits and their
//! `encodedList` form ([`StatusList`]), and one issuer's list with its random
//! index allocations ([`StatusListIssuer`], [`IndexAllocator`]). Checking a
//! credential's status against a list is the verifier's job
//! (`didam_verifier::status`); both sides share this codec.
//!
//! See: <https://www.w3.org/TR/vc-bitstring-status-list/>

mod issuer;
mod list;

pub use issuer::{IndexAllocator, StatusListIssuer};
pub use list::{StatusList, StatusPurpose};
