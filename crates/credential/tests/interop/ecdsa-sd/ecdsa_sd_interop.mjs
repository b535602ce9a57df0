// The Digital Bazaar side of didam's ecdsa-sd-2023 and bbs-2023 interop tests
// (../../ecdsa_sd_interop.rs) and of their speed figures: issue, derive and
// verify with @digitalbazaar/ecdsa-sd-2023-cryptosuite or
// @digitalbazaar/bbs-2023-cryptosuite through jsonld-signatures, offline. The
// JSON-LD contexts are didam's bundled ones, handed over in a file; did:key
// documents (P-256 `zDn…`, P-384 `z82…`, BLS12-381 G2 `zUC7…`) are built
// from the identifier itself. The suite of derive and verify is the one the
// credential's proof names.
//
//   node ecdsa_sd_interop.mjs issue CREDENTIAL CONTEXTS CURVE MANDATORY_JSON
//       → the credential with a base proof, its issuer set to a fresh did:key;
//         CURVE is P-256 or P-384 (ecdsa-sd-2023) or BBS (bbs-2023)
//   node ecdsa_sd_interop.mjs derive CREDENTIAL CONTEXTS SELECTIVE_JSON
//       → the derived credential
//   node ecdsa_sd_interop.mjs verify CREDENTIAL CONTEXTS
//       → {"verified": bool, "error": …}; exit 0 when verified, 1 when not
//   node ecdsa_sd_interop.mjs bench CREDENTIAL CONTEXTS MANDATORY_JSON SELECTIVE_JSON ROUNDS [CURVE]
//       → median milliseconds of issue, derive and verify (CURVE: P-256 by default)
//
// Exit 2 on anything else (a crash, bad arguments).
import {readFileSync} from 'node:fs';
import * as bbs2023 from '@digitalbazaar/bbs-2023-cryptosuite';
import * as Bls12381Multikey from '@digitalbazaar/bls12-381-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as ecdsaSd2023 from '@digitalbazaar/ecdsa-sd-2023-cryptosuite';
import jsigs from 'jsonld-signatures';

// The cryptosuite package of a base or derived credential.
function suiteOf(credential) {
  const proofs = [credential.proof].flat();
  return proofs.some(p => p && p.cryptosuite === 'bbs-2023') ? bbs2023 : ecdsaSd2023;
}

const {purposes: {AssertionProofPurpose}} = jsigs;

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function loaderFor(contexts) {
  return async url => {
    if(Object.hasOwn(contexts, url)) {
      return {contextUrl: null, documentUrl: url, document: contexts[url]};
    }
    if(url.startsWith('did:key:')) {
      const [did, fragment] = url.split('#');
      const key = did.slice('did:key:'.length);
      const id = `${did}#${key}`;
      const method = {
        '@context': 'https://w3id.org/security/multikey/v1',
        id, type: 'Multikey', controller: did, publicKeyMultibase: key
      };
      if(fragment !== undefined) {
        if(fragment !== key) {
          throw new Error(`${url}: no such verification method`);
        }
        return {contextUrl: null, documentUrl: url, document: method};
      }
      const document = {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
        id: did,
        verificationMethod: [{id, type: 'Multikey', controller: did, publicKeyMultibase: key}],
        assertionMethod: [id],
        authentication: [id]
      };
      return {contextUrl: null, documentUrl: url, document};
    }
    throw new Error(`offline: no document for ${url}`);
  };
}

async function issue(credential, documentLoader, curve, mandatoryPointers) {
  const isBbs = curve === 'BBS';
  const keyPair = isBbs ?
    await Bls12381Multikey.generateBbsKeyPair({algorithm: Bls12381Multikey.ALGORITHMS.BBS_BLS12381_SHA256}) :
    await EcdsaMultikey.generate({curve});
  const {publicKeyMultibase} = isBbs ? await keyPair.export({publicKey: true}) : keyPair;
  const did = `did:key:${publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${publicKeyMultibase}`;
  const unsigned = structuredClone(credential);
  unsigned.issuer = did;
  const cryptosuite = isBbs ?
    bbs2023.createSignCryptosuite({mandatoryPointers}) :
    ecdsaSd2023.createSignCryptosuite({mandatoryPointers, requiredAlgorithm: curve});
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
  return jsigs.sign(unsigned, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function derive(credential, documentLoader, selectivePointers) {
  const suite = new DataIntegrityProof({
    cryptosuite: suiteOf(credential).createDiscloseCryptosuite({selectivePointers})
  });
  return jsigs.derive(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function verify(credential, documentLoader) {
  const suite = new DataIntegrityProof({cryptosuite: suiteOf(credential).createVerifyCryptosuite()});
  return jsigs.verify(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

function errorText(result) {
  const errors = [result.error, ...(result.results || []).map(r => r.error)].filter(Boolean);
  return errors.map(e => (e.errors || [e]).map(x => x.message || String(x)).join('; ')).join('; ');
}

async function median(rounds, f) {
  const times = [];
  for(let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await f();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main() {
  const [command, credentialPath, contextsPath, ...rest] = process.argv.slice(2);
  const documentLoader = loaderFor(readJson(contextsPath));
  const credential = readJson(credentialPath);
  switch(command) {
    case 'issue': {
      const [curve, mandatory] = rest;
      const signed = await issue(credential, documentLoader, curve, JSON.parse(mandatory));
      process.stdout.write(JSON.stringify(signed));
      return 0;
    }
    case 'derive': {
      const derived = await derive(credential, documentLoader, JSON.parse(rest[0]));
      process.stdout.write(JSON.stringify(derived));
      return 0;
    }
    case 'verify': {
      const result = await verify(credential, documentLoader);
      const error = result.verified ? null : errorText(result);
      process.stdout.write(JSON.stringify({verified: result.verified, error}));
      return result.verified ? 0 : 1;
    }
    case 'bench': {
      const [mandatory, selective, rounds] = [JSON.parse(rest[0]), JSON.parse(rest[1]), Number(rest[2])];
      const curve = rest[3] || 'P-256';
      const signed = await issue(credential, documentLoader, curve, mandatory);
      const derived = await derive(signed, documentLoader, selective);
      if(!(await verify(derived, documentLoader)).verified) {
        throw new Error('the benchmark credential does not verify');
      }
      const out = {
        rounds,
        issue: await median(rounds, () => issue(credential, documentLoader, curve, mandatory)),
        derive: await median(rounds, () => derive(signed, documentLoader, selective)),
        verify: await median(rounds, () => verify(derived, documentLoader))
      };
      process.stdout.write(JSON.stringify(out));
      return 0;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
}

main().then(code => process.exit(code), e => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(2);
});
