//! The `did:didam` DID syntax (see `specs/did-didam.md`, syntax).

use std::str::FromStr;

use didam_credential::{Did, InvalidDid};

/// A parsed `did:didam` DID: `did:didam:<scid>` or `did:didam:<network>:<scid>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DidamDid {
    did: Did,
    network: Option<String>,
    scid: String,
}

impl DidamDid {
    /// Parses and checks the syntax.
    pub fn parse(did: &str) -> Result<Self, InvalidDid> {
        let invalid = || InvalidDid(did.to_owned());
        let rest = did.strip_prefix("did:didam:").ok_or_else(invalid)?;
        let (network, scid) = match rest.split_once(':') {
            Some((net, scid)) => (Some(net), scid),
            None => (None, rest),
        };
        let base58 =
            |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'));
        if scid.len() != 46 || !scid.starts_with("Qm") || !base58(scid) {
            return Err(invalid());
        }
        if let Some(net) = network
            && (net.is_empty()
                || net.len() > 32
                || !net.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return Err(invalid());
        }
        Ok(Self { did: Did::parse(did)?, network: network.map(str::to_owned), scid: scid.to_owned() })
    }

    /// The DID string.
    pub fn as_str(&self) -> &str {
        self.did.as_str()
    }

    /// The DID as a [`Did`].
    pub fn as_did(&self) -> &Did {
        &self.did
    }

    /// The self-certifying identifier.
    pub fn scid(&self) -> &str {
        &self.scid
    }

    /// The network segment, if any.
    pub fn network(&self) -> Option<&str> {
        self.network.as_deref()
    }
}

impl std::fmt::Display for DidamDid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.did.as_str())
    }
}

impl FromStr for DidamDid {
    type Err = InvalidDid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<DidamDid> for Did {
    fn from(did: DidamDid) -> Self {
        did.did
    }
}

impl TryFrom<&Did> for DidamDid {
    type Error = InvalidDid;
    fn try_from(did: &Did) -> Result<Self, Self::Error> {
        Self::parse(did.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn did_syntax() {
        let scid = "QmXr1NpRE3NGnpqNxvMUVxGmXa4wgWH6nUGH6bdwoaXn5m";
        assert!(DidamDid::parse(&format!("did:didam:{scid}")).is_ok());
        assert_eq!(DidamDid::parse(&format!("did:didam:test-1:{scid}")).unwrap().network(), Some("test-1"));
        for bad in [
            "did:didam:".to_owned(),
            format!("did:web:{scid}"),
            format!("did:didam:{}", &scid[1..]),
            format!("did:didam:Test:{scid}"),
            format!("did:didam:{}0", &scid[..45]),
        ] {
            assert!(DidamDid::parse(&bad).is_err(), "{bad}");
        }
    }
}
