// The Digital Bazaar side of didam's ecdsa-sd-2023 interop test
// (../../ecdsa_sd_interop.rs) and of its speed figure: issue, derive and
// verify with @digitalbazaar/ecdsa-sd-2023-cryptosuite through
// jsonld-signatures, offline. The JSON-LD contexts are didam's bundled ones,
// handed over in a file; did:key documents (P-256 `zDn…`, P-384 `z82…`) are
// built from the identifier itself.
//
//   node ecdsa_sd_interop.mjs issue CREDENTIAL CONTEXTS CURVE MANDATORY_JSON
//       → the credential with a base proof, its issuer set to a fresh did:key
//   node ecdsa_sd_interop.mjs derive CREDENTIAL CONTEXTS SELECTIVE_JSON
//       → the derived credential
//   node ecdsa_sd_interop.mjs verify CREDENTIAL CONTEXTS
//       → {"verified": bool, "error": …}; exit 0 when verified, 1 when not
//   node ecdsa_sd_interop.mjs bench CREDENTIAL CONTEXTS MANDATORY_JSON SELECTIVE_JSON ROUNDS
//       → median milliseconds of issue, derive and verify
//
// Exit 2 on anything else (a crash, bad arguments).
import {readFileSync} from 'node:fs';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {
  createDiscloseCryptosuite,
  createSignCryptosuite,
  createVerifyCryptosuite
} from '@digitalbazaar/ecdsa-sd-2023-cryptosuite';
import jsigs from 'jsonld-signatures';

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
  const keyPair = await EcdsaMultikey.generate({curve});
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  const unsigned = structuredClone(credential);
  unsigned.issuer = did;
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    cryptosuite: createSignCryptosuite({mandatoryPointers, requiredAlgorithm: curve})
  });
  return jsigs.sign(unsigned, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function derive(credential, documentLoader, selectivePointers) {
  const suite = new DataIntegrityProof({
    cryptosuite: createDiscloseCryptosuite({selectivePointers})
  });
  return jsigs.derive(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function verify(credential, documentLoader) {
  const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
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
      const signed = await issue(credential, documentLoader, 'P-256', mandatory);
      const derived = await derive(signed, documentLoader, selective);
      if(!(await verify(derived, documentLoader)).verified) {
        throw new Error('the benchmark credential does not verify');
      }
      const out = {
        rounds,
        issue: await median(rounds, () => issue(credential, documentLoader, 'P-256', mandatory)),
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
