// An independent implementation of the W3C CCG quantum-safe cryptosuites
// `mldsa44-rdfc-2024` and `mldsa44-jcs-2024`, for didam's interop test
// (../pq_interop.rs). Nothing here comes from didam: ML-DSA-44 is
// @noble/post-quantum, RDFC-1.0 is jsonld (rdf-canonize), JCS is canonicalize,
// SHA-256 and base64url are Node's own.
//
//   node pq_interop.mjs verify <signed.json> <contexts.json> [<publicKeyMultibase>]
//       exit 0 and {"verified": true} when the proof verifies, exit 1 and
//       {"verified": false, "reason": ...} when it does not. The key is read
//       from the proof's did:key method, or given (the ML-DSA-44 Multikey of
//       a DID document the caller resolved, for an issuer that is no did:key).
//   node pq_interop.mjs sign <unsigned.json> <suite> <contexts.json>
//       a fresh ML-DSA-44 key (did:key, Multikey `u` + 0x1210), the document
//       with its proof on stdout.
//
// <contexts.json> maps each JSON-LD context URL to its document; nothing is
// fetched from the network.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import canonicalize from 'canonicalize';
import jsonld from 'jsonld';

const SUITES = ['mldsa44-rdfc-2024', 'mldsa44-jcs-2024'];
const MLDSA44_PUB = [0x90, 0x24]; // varint of multicodec 0x1210, mldsa-44-pub

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

function loader(contexts) {
  return async (url) => {
    if (!(url in contexts)) throw new Error(`context not bundled: ${url}`);
    return { contextUrl: null, documentUrl: url, document: contexts[url] };
  };
}

async function canonical(value, suite, contexts) {
  if (suite.endsWith('-jcs-2024')) return canonicalize(value);
  return jsonld.canonize(value, {
    algorithm: 'RDFC-1.0',
    format: 'application/n-quads',
    documentLoader: loader(contexts),
    safe: true,
  });
}

// hashData = SHA-256(canonical proof configuration) ‖ SHA-256(canonical document).
async function hashData(unsecured, proofConfig, suite, contexts) {
  const config = { ...proofConfig, '@context': unsecured['@context'] };
  return Buffer.concat([
    sha256(await canonical(config, suite, contexts)),
    sha256(await canonical(unsecured, suite, contexts)),
  ]);
}

function keyOfMultikey(multikey) {
  if (!/^u[A-Za-z0-9_-]+$/.test(multikey)) throw new Error(`not a base64url Multikey: ${multikey}`);
  const bytes = Buffer.from(multikey.slice(1), 'base64url');
  if (bytes[0] !== MLDSA44_PUB[0] || bytes[1] !== MLDSA44_PUB[1]) throw new Error('not an mldsa-44-pub Multikey');
  const key = bytes.subarray(2);
  if (key.length !== 1312) throw new Error(`ML-DSA-44 public key of ${key.length} bytes`);
  return key;
}

function publicKeyOf(verificationMethod) {
  // `did:key:u…#u…`, or the bare DID as the suites' published vectors write it.
  const match = /^did:key:(u[A-Za-z0-9_-]+)(?:#(u[A-Za-z0-9_-]+))?$/.exec(verificationMethod);
  if (!match || (match[2] !== undefined && match[1] !== match[2])) {
    throw new Error(`not an ML-DSA did:key method: ${verificationMethod}`);
  }
  return keyOfMultikey(match[1]);
}

async function verify(signedPath, contextsPath, givenKey) {
  const signed = readJson(signedPath);
  const contexts = readJson(contextsPath);
  const { proof, ...unsecured } = signed;
  if (!proof || Array.isArray(proof)) throw new Error('expected one proof');
  if (proof.type !== 'DataIntegrityProof' || !SUITES.includes(proof.cryptosuite)) {
    return { verified: false, reason: `unsupported proof ${proof.type} ${proof.cryptosuite}` };
  }
  const { proofValue, ...config } = proof;
  if (typeof proofValue !== 'string' || !proofValue.startsWith('u')) {
    return { verified: false, reason: 'proofValue is not base64url multibase' };
  }
  const signature = Buffer.from(proofValue.slice(1), 'base64url');
  const data = await hashData(unsecured, config, proof.cryptosuite, contexts);
  const key = givenKey ? keyOfMultikey(givenKey) : publicKeyOf(proof.verificationMethod);
  const verified = ml_dsa44.verify(signature, data, key);
  return verified ? { verified } : { verified, reason: 'the ML-DSA-44 signature does not verify' };
}

async function sign(unsignedPath, suite, contextsPath) {
  if (!SUITES.includes(suite)) throw new Error(`unknown suite ${suite}`);
  const unsecured = readJson(unsignedPath);
  const contexts = readJson(contextsPath);
  const { secretKey, publicKey } = ml_dsa44.keygen(randomBytes(32));
  const multikey = 'u' + b64url(Buffer.concat([Buffer.from(MLDSA44_PUB), publicKey]));
  const did = `did:key:${multikey}`;
  unsecured.issuer = did;
  const config = {
    type: 'DataIntegrityProof',
    cryptosuite: suite,
    created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    verificationMethod: `${did}#${multikey}`,
    proofPurpose: 'assertionMethod',
  };
  const data = await hashData(unsecured, config, suite, contexts);
  const signature = ml_dsa44.sign(data, secretKey); // hedged, empty context
  return { ...unsecured, proof: { ...config, proofValue: 'u' + b64url(signature) } };
}

const [command, ...args] = process.argv.slice(2);
try {
  if (command === 'verify') {
    const result = await verify(args[0], args[1], args[2]);
    console.log(JSON.stringify(result));
    process.exit(result.verified ? 0 : 1);
  } else if (command === 'sign') {
    console.log(JSON.stringify(await sign(args[0], args[1], args[2])));
  } else {
    throw new Error(`usage: pq_interop.mjs verify|sign ...`);
  }
} catch (e) {
  console.error(e.stack || String(e));
  process.exit(2);
}
