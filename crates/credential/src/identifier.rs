//! Typed DID identifiers: a [`Did`] or [`DidUrl`] is checked once, when it is
//! parsed, and nobody checks it again.
//!
//! See: <https://www.w3.org/TR/did-1.0/#did-syntax>

use std::str::FromStr;

/// A string that is not a valid DID or DID URL; keeps the offending input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid DID")]
pub struct InvalidDid(pub String);

/// A DID, checked against the DID Syntax.
/// See: <https://www.w3.org/TR/did-1.0/#did-syntax>
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Did {
    did: String,
    method_len: usize,
}

impl Did {
    /// Parses `did:<method>:<method-specific-id>`.
    pub fn parse(s: &str) -> Result<Self, InvalidDid> {
        let invalid = || InvalidDid(s.to_owned());
        let rest = s.strip_prefix("did:").ok_or_else(invalid)?;
        let (method, msid) = rest.split_once(':').ok_or_else(invalid)?;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return Err(invalid());
        }
        if msid.is_empty() || msid.ends_with(':') || !valid_idchars(msid) {
            return Err(invalid());
        }
        Ok(Self { did: s.to_owned(), method_len: method.len() })
    }

    /// The DID string.
    pub fn as_str(&self) -> &str {
        &self.did
    }

    /// The method name (`key`, `didam`, …).
    pub fn method(&self) -> &str {
        &self.did[4..4 + self.method_len]
    }
}

impl std::fmt::Display for Did {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.did)
    }
}

/// `idchar` and `:` (DID Core: ALPHA / DIGIT / "." / "-" / "_" / pct-encoded).
fn valid_idchars(msid: &str) -> bool {
    let bytes = msid.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':') => i += 1,
            _ => return false,
        }
    }
    true
}

/// A DID URL split into its DID and the parts that call for dereferencing.
/// See: <https://www.w3.org/TR/did-1.0/#did-url-syntax>
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidUrl {
    /// The DID.
    pub did: Did,
    /// The path (with its leading `/`), if any.
    pub path: Option<String>,
    /// The query (without `?`), if any.
    pub query: Option<String>,
    /// The fragment (without `#`), if any.
    pub fragment: Option<String>,
}

impl DidUrl {
    /// Splits `s` at the first `/`, `?` or `#` and parses the DID before it.
    pub fn parse(s: &str) -> Result<Self, InvalidDid> {
        let (rest, fragment) = match s.split_once('#') {
            Some((r, f)) => (r, Some(f.to_owned())),
            None => (s, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q.to_owned())),
            None => (rest, None),
        };
        let (did, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(rest[i..].to_owned())),
            None => (rest, None),
        };
        let did = Did::parse(did).map_err(|_| InvalidDid(s.to_owned()))?;
        Ok(Self { did, path, query, fragment })
    }

    /// Whether this is a plain DID (nothing to dereference).
    pub fn is_did(&self) -> bool {
        self.path.is_none() && self.query.is_none() && self.fragment.is_none()
    }
}

impl FromStr for Did {
    type Err = InvalidDid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl FromStr for DidUrl {
    type Err = InvalidDid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Did {
    fn as_ref(&self) -> &str {
        &self.did
    }
}

impl std::fmt::Display for DidUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.did.as_str())?;
        if let Some(p) = &self.path {
            f.write_str(p)?;
        }
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        if let Some(fr) = &self.fragment {
            write!(f, "#{fr}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn did_syntax() {
        let did = Did::parse("did:example:123:abc%20x").unwrap();
        assert_eq!(did.method(), "example");
        for bad in [
            "",
            "not-a-did",
            "did:example",
            "did:example:",
            "did:Ex:1",
            "did::1",
            "did:e:a:",
            "did:e:a%2",
            "did:e:a b",
        ] {
            assert!(matches!(Did::parse(bad), Err(InvalidDid(_))), "{bad}");
        }
    }

    #[test]
    fn did_urls_split() {
        let url = DidUrl::parse("did:example:1/path?service=x#frag").unwrap();
        assert_eq!(url.did.as_str(), "did:example:1");
        assert_eq!(url.path.as_deref(), Some("/path"));
        assert_eq!(url.query.as_deref(), Some("service=x"));
        assert_eq!(url.fragment.as_deref(), Some("frag"));
        assert!(DidUrl::parse("did:example:1").unwrap().is_did());
        assert!(DidUrl::parse("did:example/x").is_err());
        assert_eq!(url.to_string(), "did:example:1/path?service=x#frag");
        assert_eq!("did:example:1".parse::<Did>().unwrap().as_str(), "did:example:1");
    }
}
