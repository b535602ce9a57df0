//! Issuing and presenting: credentials signed as a DID of this wallet (and
//! recorded, so what a leaked key signed can be listed and revoked), and
//! presentations signed for a verifier's challenge and domain.
//!
//! Issuing with a status entry builds on this, in the `status` module.

use chrono::Utc;
use didam_credential::proof::SuiteOptions;
use didam_credential::sd_jwt::SdJwt;
use didam_credential::sd_jwt_vc::{self, Binding, IssueOptions, SdJwtVcError};
use didam_credential::selective::JsonPointer;
use didam_credential::{
    DidUrl, KeyType, ProofOptions, PublicKey, SecretKey, Suite, did::ProofPurpose, proof,
};
use serde_json::{Value, json};

use crate::WalletError;
use crate::wallet::{DidRecord, ISSUED, IssuedRecord, Wallet, content_id, from_json, to_json};

impl Wallet {
    /// The active DID `did`, its first signing key of `key_type` (its
    /// multikey) and that key's secret.
    pub(crate) fn key_for(
        &self,
        did: &str,
        key_type: KeyType,
    ) -> Result<(DidRecord, String, SecretKey), WalletError> {
        let record = self.did(did)?;
        record.ensure_active()?;
        for id in record.keys.clone() {
            if PublicKey::from_multikey(&id)?.key_type() == key_type {
                let key = self.signing_key(&id)?;
                return Ok((record, id, key));
            }
        }
        Err(WalletError::NoKeyOfType { did: did.to_owned(), key_type })
    }

    /// Issues `credential` as `issuer` (a DID of this wallet) with `suite`
    /// (a [`didam_credential::Suite`], or [`SuiteOptions`] with the mandatory
    /// pointers of an `ecdsa-sd-2023` or `bbs-2023` base proof);
    /// sets `issuer` (an `issuer` object whose `id` is `issuer` is kept, with
    /// its `name` and `description`), adds the `relatedResource` digests
    /// of resources the engine holds
    /// ([`didam_credential::related_resource::add_digests`]) and records what
    /// was signed.
    ///
    /// A credential whose `id` this wallet issued before is refused
    /// ([`WalletError::AlreadyIssued`]): the record of the first, which
    /// revoking it needs, is never replaced. The record is inserted under a
    /// unique key after signing, so of two issues of one `id` racing, one
    /// fails and its signed credential is dropped unseen.
    pub async fn issue(
        &self,
        credential: &Value,
        issuer: &str,
        suite: impl Into<SuiteOptions>,
    ) -> Result<Value, WalletError> {
        let suite = suite.into();
        self.ensure_not_issued(credential)?;
        let (record, key_id, key) = self.key_for(issuer, suite.suite.default_key_type())?;
        let mut credential = credential.clone();
        didam_credential::related_resource::add_digests(&mut credential);
        if didam_credential::credential::issuer(&credential) != Some(issuer)
            || !credential["issuer"].is_object()
        {
            credential["issuer"] = json!(issuer);
        }
        let signed = proof::add_proof(&credential, &key, &suite.assertion(record.method_id(&key_id))).await?;
        let own_id = signed.get("id").and_then(Value::as_str).map(str::to_owned);
        let issued = IssuedRecord {
            id: own_id.clone().unwrap_or_else(|| content_id(&signed)),
            issuer: issuer.to_owned(),
            key: key_id,
            types: signed
                .get("type")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            status: signed.get("credentialStatus").cloned(),
            issued: Utc::now(),
            anchored: None,
        };
        let (inserted, _) = self.store.update(|tx| tx.insert(ISSUED, &issued.id, &to_json(&issued)?))?;
        // Without an `id` of its own the record is named by the signed
        // content's hash: one already there is this very credential.
        if !inserted && own_id.is_some() {
            return Err(WalletError::AlreadyIssued(issued.id));
        }
        Ok(signed)
    }

    /// Issues `claims` as SD-JWT VCs (`dc+sd-jwt`) as `issuer` (a DID of
    /// this wallet, signing with its first key): one copy per holder key,
    /// each with its own salts ([`sd_jwt_vc::issue_batch`]); `options.kid`
    /// is replaced by the issuer's key. With `status`, each copy gets its
    /// own random entry of the issuer's Token Status List in that folder
    /// (allocated and stored first; the list is published after the copies
    /// are signed). Each copy is recorded (by the digest of its issuer JWT,
    /// its type the `vct`, its status entry), so it can be revoked.
    pub fn issue_sd_jwt_vc(
        &self,
        claims: &Value,
        issuer: &str,
        mut options: IssueOptions,
        holders: &[PublicKey],
        status: Option<&crate::status::StatusDirectory>,
    ) -> Result<Vec<String>, WalletError> {
        let record = self.did(issuer)?;
        record.ensure_active()?;
        let key_id = record
            .keys
            .first()
            .cloned()
            .ok_or_else(|| WalletError::NoKeyOfType { did: issuer.to_owned(), key_type: KeyType::Ed25519 })?;
        let key = self.signing_key(&key_id)?;
        options.kid = DidUrl::parse(&record.method_id(&key_id))?;
        let (list, copies) = match status {
            None => (None, sd_jwt_vc::issue_batch(claims, &key, &options, holders)?),
            Some(directory) => {
                if holders.is_empty() {
                    return Err(didam_credential::Error::from(SdJwtVcError::NoHolder).into());
                }
                let (list, indexes) = self.allocate_token_status(issuer, directory, holders.len())?;
                let mut copies = Vec::with_capacity(holders.len());
                for (holder, index) in holders.iter().zip(indexes) {
                    options.status = Some((list.uri.clone(), index));
                    copies.push(sd_jwt_vc::issue(claims, &key, &options, holder)?);
                }
                (Some(list), copies)
            }
        };
        let now = Utc::now();
        let records: Vec<IssuedRecord> = copies
            .iter()
            .map(|copy| -> Result<IssuedRecord, WalletError> {
                let jwt = copy.split('~').next().unwrap_or_default();
                let status = SdJwt::parse(copy)?.jwt.payload.get("status").cloned();
                Ok(IssuedRecord {
                    id: content_id(&json!(jwt)),
                    issuer: issuer.to_owned(),
                    key: key_id.clone(),
                    types: vec![options.vct.clone()],
                    status,
                    issued: now,
                    anchored: None,
                })
            })
            .collect::<Result<_, _>>()?;
        self.store.update(|tx| {
            for issued in &records {
                tx.insert(ISSUED, &issued.id, &to_json(issued)?)?;
            }
            Ok(())
        })?;
        if let Some(mut list) = list {
            self.publish_token_status_list(&mut list)?;
        }
        Ok(copies)
    }

    /// The holder's presentation of an SD-JWT VC as `holder` (a DID of this
    /// wallet): of `copies` (a batch), the first bound (`cnf`) to one of the
    /// holder's keys, disclosing what `disclose` points at, with a Key
    /// Binding JWT for the verifier's `binding`.
    pub fn present_sd_jwt_vc(
        &self,
        holder: &str,
        copies: &[&str],
        disclose: &[JsonPointer],
        binding: &Binding,
    ) -> Result<String, WalletError> {
        let record = self.did(holder)?;
        record.ensure_active()?;
        for copy in copies {
            let parsed = SdJwt::parse(copy)?;
            let Ok(cnf) = sd_jwt_vc::holder_key(&parsed.jwt.payload) else { continue };
            for key_id in &record.keys {
                if PublicKey::from_multikey(key_id)?.to_jwk() == cnf.to_jwk() {
                    let key = self.signing_key(key_id)?;
                    let limits = didam_credential::limits::Limits::default();
                    return Ok(sd_jwt_vc::present(copy, disclose, &key, binding, &limits)?);
                }
            }
        }
        Err(didam_credential::Error::from(SdJwtVcError::NotHolderKey).into())
    }

    /// Refuses `credential` early when this wallet issued one with its `id`
    /// (before keys are used or status indexes allocated); [`Self::issue`]
    /// checks again atomically.
    pub(crate) fn ensure_not_issued(&self, credential: &Value) -> Result<(), WalletError> {
        match credential.get("id").and_then(Value::as_str) {
            Some(id) if self.store.get(ISSUED, id)?.is_some() => {
                Err(WalletError::AlreadyIssued(id.to_owned()))
            }
            _ => Ok(()),
        }
    }

    /// Everything this wallet issued.
    pub fn issued(&self) -> Result<Vec<IssuedRecord>, WalletError> {
        self.store.list(ISSUED)?.iter().map(|(id, b)| from_json(ISSUED, id, b)).collect()
    }

    /// A presentation of `credentials` by `holder` (a DID of this wallet),
    /// signed for authentication with the verifier's `challenge` and `domain`.
    pub async fn present(
        &self,
        holder: &str,
        credentials: &[Value],
        challenge: Option<&str>,
        domain: Option<&str>,
        suite: Suite,
    ) -> Result<Value, WalletError> {
        let (record, key_id, key) = self.key_for(holder, suite.default_key_type())?;
        let presentation = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": credentials,
        });
        let mut options = ProofOptions::assertion(suite, record.method_id(&key_id));
        options.proof_purpose = ProofPurpose::Authentication;
        options.challenge = challenge.map(str::to_owned);
        options.domain = domain.map(str::to_owned);
        Ok(proof::add_proof(&presentation, &key, &options).await?)
    }
}
