//! Who may use the daemon's keys, and who may append to its ledger.
//!
//! `POST /credentials/issue` signs with the issuer wallet's keys (and, with
//! status entries, publishes status lists signed by them): it is the one
//! endpoint that signs or writes with the daemon's keys (checkpoints are
//! signed by the sequencer, never on request; revocation runs in `didam vc
//! revoke`, never over HTTP). It is **off** until an authentication method
//! is configured, and then a request must present one of:
//!
//! 1. a bearer token listed in `[[auth.tokens]]` by its SHA-256 (tokens of
//!    256 random bits made by `didam-resolver token`; only the hash is kept);
//! 2. an access token from the daemon's own OAuth 2.0 token endpoint
//!    ([`oauth`]: `POST /oauth2/token`, client credentials grant) for a client
//!    listed in `[[auth.clients]]` by its id and the SHA-256 of its secret;
//! 3. a TLS client certificate from `auth.client-ca` (on the HTTPS listener)
//!    whose DNS name is listed in `[[auth.certificates]]`.
//!
//! Each entry grants scopes ([`Scope`]: `issue`, `ledger-append`; default
//! both). Presented secrets are hashed and compared in constant time, and
//! never logged.
//!
//! Answers ([`Denied`]), problem documents all:
//! - 403 when no method is configured: no credential could help (a 404 would
//!   read as a wrong URL, while the route exists and its OpenAPI entry says
//!   how to turn it on);
//! - 401 with `WWW-Authenticate: Bearer` when credentials are missing or
//!   wrong;
//! - 403 when they are right but do not grant the scope, or a certificate of
//!   the CA names no listed client.
//!
//! The ledger API's appends stay open to anyone (a public ledger accepts
//! self-certifying entries) unless `auth.ledger-appends = "authenticated"`.
//!
//! See: <https://w3c-ccg.github.io/vc-api/#authorization>,
//! <https://www.rfc-editor.org/rfc/rfc6750>

use std::convert::Infallible;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::problem;
use crate::tls::ClientCertificate;

pub mod oauth;

/// What a credential allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Scope {
    /// `POST /credentials/issue`.
    Issue,
    /// `POST /ledger/v1/entries`, when appends need authentication.
    LedgerAppend,
}

impl Scope {
    /// Every scope (the default of an entry).
    pub const ALL: [Scope; 2] = [Scope::Issue, Scope::LedgerAppend];

    /// The name in configuration files and OAuth 2.0 `scope`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Issue => "issue",
            Self::LedgerAppend => "ledger-append",
        }
    }
}

impl FromStr for Scope {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|scope| scope.name() == s).ok_or_else(|| AuthError::UnknownScope(s.into()))
    }
}

fn all_scopes() -> Vec<Scope> {
    Scope::ALL.to_vec()
}

/// The SHA-256 of a secret (a token or a client secret), as configured: 64
/// hex digits. Secrets are 256 random bits, so one hash round is enough.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// The hash of `secret`.
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// Whether `self` and `other` are equal, in time independent of where
    /// they differ.
    fn matches(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Display for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({self})")
    }
}

impl FromStr for SecretHash {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AuthError::InvalidHash(s.chars().take(80).collect());
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

impl TryFrom<String> for SecretHash {
    type Error = AuthError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A new secret of 256 random bits (base64url, 43 characters) and its hash.
pub fn new_secret() -> (Zeroizing<String>, SecretHash) {
    use rand_core::RngCore as _;
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand_core::OsRng.fill_bytes(&mut bytes[..]);
    let secret = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..]));
    let hash = SecretHash::of(&secret);
    (secret, hash)
}

/// A bearer token of `[[auth.tokens]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct TokenEntry {
    /// Who holds it (for the operator; requests are never logged with it).
    pub name: String,
    /// The SHA-256 of the token.
    pub sha256: SecretHash,
    /// What it allows.
    #[serde(default = "all_scopes")]
    pub scopes: Vec<Scope>,
}

impl TokenEntry {
    /// A token entry granting every scope.
    pub fn new(name: impl Into<String>, sha256: SecretHash) -> Self {
        Self { name: name.into(), sha256, scopes: all_scopes() }
    }
}

/// An OAuth 2.0 client of `[[auth.clients]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct ClientEntry {
    /// The client id.
    pub id: String,
    /// The SHA-256 of the client secret.
    pub secret_sha256: SecretHash,
    /// What its access tokens allow.
    #[serde(default = "all_scopes")]
    pub scopes: Vec<Scope>,
}

/// A TLS client of `[[auth.certificates]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct CertificateEntry {
    /// A DNS name (subject alternative name) of the client's certificate.
    pub dns_name: String,
    /// What it allows.
    #[serde(default = "all_scopes")]
    pub scopes: Vec<Scope>,
}

impl CertificateEntry {
    /// A certificate entry granting every scope.
    pub fn new(dns_name: impl Into<String>) -> Self {
        Self { dns_name: dns_name.into(), scopes: all_scopes() }
    }
}

/// Who may append to the ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LedgerAppends {
    /// Anyone (entries are self-certifying).
    #[default]
    Anyone,
    /// Clients with the `ledger-append` scope.
    Authenticated,
}

/// The `[auth]` section of the configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct AuthConfig {
    /// Bearer tokens, by hash.
    pub tokens: Vec<TokenEntry>,
    /// OAuth 2.0 clients of the token endpoint.
    pub clients: Vec<ClientEntry>,
    /// The CA (PEM) whose client certificates the HTTPS listener asks for.
    pub client_ca: Option<PathBuf>,
    /// The clients of `client-ca` allowed in, by DNS name.
    pub certificates: Vec<CertificateEntry>,
    /// Lifetime of an access token of the token endpoint, in seconds.
    pub access_token_ttl_secs: u64,
    /// Who may append to the ledger.
    pub ledger_appends: LedgerAppends,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            clients: Vec::new(),
            client_ca: None,
            certificates: Vec::new(),
            access_token_ttl_secs: 900,
            ledger_appends: LedgerAppends::Anyone,
        }
    }
}

/// Authentication settings that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A hash that is not 64 hex digits.
    #[error("`{0}` is not a SHA-256 in hex (64 digits); make tokens with `didam-resolver token`")]
    InvalidHash(String),
    /// A scope name that is not one of [`Scope::ALL`].
    #[error("unknown scope `{0}`; the scopes are issue and ledger-append")]
    UnknownScope(String),
    /// Two clients with one id.
    #[error("OAuth 2.0 client `{0}` is listed twice")]
    DuplicateClient(String),
    /// Appends restricted with no way to authenticate.
    #[error(
        "ledger-appends = authenticated needs an authentication method (auth tokens, clients or client-ca)"
    )]
    AppendsNeedAMethod,
    /// Certificates listed, or a client CA given, without HTTPS.
    #[error("client certificates need HTTPS: give --tls-cert and --tls-key with --client-ca")]
    ClientCaNeedsTls,
    /// Certificates listed without a CA to check them.
    #[error("auth.certificates needs auth.client-ca (the CA that issues the clients' certificates)")]
    CertificatesNeedCa,
    /// An access-token lifetime of zero.
    #[error("access-token-ttl-secs must be at least 1")]
    ZeroTtl,
}

/// Who was authenticated, and what they may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's name, the client id or the certificate's DNS name.
    pub name: String,
    /// What they may do.
    pub scopes: Vec<Scope>,
}

/// The credentials a request presents: its bearer token and the client
/// certificate of its TLS connection. Extracting never fails.
#[derive(Default)]
pub struct Presented {
    bearer: Option<Zeroizing<String>>,
    /// An `Authorization` header that is not `Bearer <token>`.
    malformed: bool,
    certificate: Option<ClientCertificate>,
}

impl fmt::Debug for Presented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Presented")
            .field("bearer", &self.bearer.as_ref().map(|_| "…"))
            .field("certificate", &self.certificate.is_some())
            .finish()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Presented {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let certificate = parts.extensions.get::<Option<ClientCertificate>>().cloned().flatten();
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self { bearer: None, malformed: false, certificate });
        };
        let bearer = value.to_str().ok().and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
                .then(|| Zeroizing::new(token.to_owned()))
        });
        Ok(Self { malformed: bearer.is_none(), bearer, certificate })
    }
}

/// Why a request may not do what it asks.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denied {
    /// No authentication method is configured: the endpoint is off (403).
    Off,
    /// No credentials, or wrong ones (401).
    Unauthenticated {
        /// Credentials were presented, and were wrong or malformed.
        presented: bool,
    },
    /// Authenticated, without the scope (403).
    Forbidden {
        /// The scope asked for.
        scope: Scope,
        /// Whether a bearer token was used (for `WWW-Authenticate`).
        bearer: bool,
    },
}

const REALM: &str = "didam-resolver";

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let (status, kind, title, detail, challenge) = match self {
            Self::Off => (
                StatusCode::FORBIDDEN,
                "writes-off",
                "Writes are off",
                "no authentication method is configured, so this daemon signs and writes for nobody; configure auth tokens (`didam-resolver token`), OAuth 2.0 clients or client certificates".to_owned(),
                None,
            ),
            Self::Unauthenticated { presented } => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                if presented {
                    "the credentials presented are not valid (a bearer token in `Authorization: Bearer …`, or a client certificate)".to_owned()
                } else {
                    "send a bearer token in `Authorization: Bearer …` (or connect with a client certificate)".to_owned()
                },
                Some(if presented {
                    format!("Bearer realm=\"{REALM}\", error=\"invalid_token\"")
                } else {
                    format!("Bearer realm=\"{REALM}\"")
                }),
            ),
            Self::Forbidden { scope, bearer } => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                format!("these credentials do not grant the `{}` scope", scope.name()),
                bearer.then(|| {
                    format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{}\"", scope.name())
                }),
            ),
        };
        let problem_type = format!("urn:didam:problem:auth:{kind}");
        let mut response = problem::plain(status, &problem_type, title, &detail);
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The configured methods and the access tokens handed out (see the module
/// doc).
#[derive(Clone)]
pub struct Auth {
    tokens: Arc<[TokenEntry]>,
    clients: Arc<[ClientEntry]>,
    certificates: Arc<[CertificateEntry]>,
    client_ca: bool,
    ledger_appends: LedgerAppends,
    access: oauth::AccessTokens,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("tokens", &self.tokens.len())
            .field("clients", &self.clients.len())
            .field("certificates", &self.certificates.len())
            .field("ledger_appends", &self.ledger_appends)
            .finish()
    }
}

impl Auth {
    /// The methods of `config`; `tls` says whether the daemon serves HTTPS.
    pub fn new(config: &AuthConfig, tls: bool) -> Result<Self, AuthError> {
        if config.client_ca.is_some() && !tls {
            return Err(AuthError::ClientCaNeedsTls);
        }
        if !config.certificates.is_empty() && config.client_ca.is_none() {
            return Err(AuthError::CertificatesNeedCa);
        }
        if config.access_token_ttl_secs == 0 {
            return Err(AuthError::ZeroTtl);
        }
        for (i, client) in config.clients.iter().enumerate() {
            if config.clients[..i].iter().any(|c| c.id == client.id) {
                return Err(AuthError::DuplicateClient(client.id.clone()));
            }
        }
        let auth = Self {
            tokens: config.tokens.clone().into(),
            clients: config.clients.clone().into(),
            certificates: config.certificates.clone().into(),
            client_ca: config.client_ca.is_some(),
            ledger_appends: config.ledger_appends,
            access: oauth::AccessTokens::new(Duration::from_secs(config.access_token_ttl_secs)),
        };
        if auth.ledger_appends == LedgerAppends::Authenticated && !auth.is_configured() {
            return Err(AuthError::AppendsNeedAMethod);
        }
        Ok(auth)
    }

    /// Whether any authentication method is configured.
    pub fn is_configured(&self) -> bool {
        !self.tokens.is_empty() || !self.clients.is_empty() || self.client_ca
    }

    /// Who `presented` is, if they may do `scope` (see the module doc).
    pub async fn authorize(&self, presented: &Presented, scope: Scope) -> Result<Principal, Denied> {
        if !self.is_configured() {
            return Err(Denied::Off);
        }
        let allowed = |principal: Principal, bearer: bool| {
            if principal.scopes.contains(&scope) {
                Ok(principal)
            } else {
                Err(Denied::Forbidden { scope, bearer })
            }
        };
        if let Some(token) = &presented.bearer {
            let hash = SecretHash::of(token);
            // Every entry is compared, so the time does not say which matched.
            let listed = self.tokens.iter().fold(
                None,
                |found, t| {
                    if t.sha256.matches(&hash) { Some(t) } else { found }
                },
            );
            if let Some(t) = listed {
                return allowed(Principal { name: t.name.clone(), scopes: t.scopes.clone() }, true);
            }
            if let Some(principal) = self.access.get(&hash).await {
                return allowed(principal, true);
            }
            return Err(Denied::Unauthenticated { presented: true });
        }
        if presented.malformed {
            return Err(Denied::Unauthenticated { presented: true });
        }
        if let Some(certificate) = &presented.certificate {
            let names = certificate.dns_names();
            let entry =
                self.certificates.iter().find(|e| names.iter().any(|n| n.eq_ignore_ascii_case(&e.dns_name)));
            return match entry {
                Some(e) => allowed(Principal { name: e.dns_name.clone(), scopes: e.scopes.clone() }, false),
                // The CA vouches for who it is, and no entry lets it in.
                None => Err(Denied::Forbidden { scope, bearer: false }),
            };
        }
        Err(Denied::Unauthenticated { presented: false })
    }

    /// Whether `presented` may append to the ledger: anyone, unless
    /// `ledger-appends = "authenticated"`.
    pub async fn authorize_append(&self, presented: &Presented) -> Result<(), Denied> {
        match self.ledger_appends {
            LedgerAppends::Anyone => Ok(()),
            LedgerAppends::Authenticated => self.authorize(presented, Scope::LedgerAppend).await.map(drop),
        }
    }

    /// The OAuth 2.0 client `id`, if its secret is `secret`.
    fn client(&self, id: &str, secret: &str) -> Option<&ClientEntry> {
        let hash = SecretHash::of(secret);
        let client = self.clients.iter().find(|c| c.id == id);
        // An unknown id costs the same comparison as a known one.
        let expected = client.map_or(SecretHash([0; 32]), |c| c.secret_sha256);
        (expected.matches(&hash) && client.is_some()).then_some(client).flatten()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashes_parse_and_print() {
        let (secret, hash) = new_secret();
        assert_eq!(secret.len(), 43, "256 bits in base64url");
        assert_eq!(hash.to_string().parse::<SecretHash>().unwrap(), hash);
        assert_eq!(SecretHash::of(&secret), hash);
        assert!("abc".parse::<SecretHash>().is_err());
        assert!("zz".repeat(32).parse::<SecretHash>().is_err());
        assert!(
            !format!("{:?}", Presented { bearer: Some(secret.clone()), ..Presented::default() })
                .contains(secret.as_str())
        );
    }

    #[test]
    fn settings_that_cannot_work_stop_the_daemon() {
        let mut config = AuthConfig { ledger_appends: LedgerAppends::Authenticated, ..AuthConfig::default() };
        assert!(matches!(Auth::new(&config, false), Err(AuthError::AppendsNeedAMethod)));
        config.client_ca = Some("ca.pem".into());
        assert!(matches!(Auth::new(&config, false), Err(AuthError::ClientCaNeedsTls)));
        assert!(Auth::new(&config, true).is_ok());
        assert!(toml::from_str::<AuthConfig>("[[tokens]]\nname = \"a\"\nsha256 = \"00\"\n").is_err());
        let hash = SecretHash::of("t");
        let config: AuthConfig =
            toml::from_str(&format!("[[tokens]]\nname = \"a\"\nsha256 = \"{hash}\"\nscopes = [\"issue\"]\n"))
                .unwrap();
        assert_eq!(config.tokens[0].scopes, vec![Scope::Issue]);
    }
}
