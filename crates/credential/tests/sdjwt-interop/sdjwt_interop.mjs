// The independent side of didam's SD-JWT VC interop test (../sdjwt_interop.rs):
// @sd-jwt/sd-jwt-vc with ES256 from @sd-jwt/crypto-nodejs (WebCrypto).
//
//   node sdjwt_interop.mjs issue DIR
//       issues a dc+sd-jwt as a did:jwk issuer for a fresh P-256 holder key,
//       with given_name, birthdate, degree.name (nested) and nationalities[1]
//       (an array element) selectively disclosable; writes DIR/issued.txt,
//       DIR/holder.jwk.json (the holder's private JWK), DIR/issuer.jwk.json,
//       and DIR/presented.txt: the peer's own presentation of degree.name,
//       key-bound to nonce `peer-nonce` and aud `https://didam.example`.
//       The credential's status is index 5 of the Token Status List
//       `https://peer.example/status/1` (2 bits an entry), whose Status List
//       Tokens, signed by the issuer, are written as DIR/status-valid.jwt,
//       DIR/status-revoked.jwt and DIR/status-suspended.jwt.
//   node sdjwt_interop.mjs verify FILE ISSUER_JWK NONCE AUD [STATUS_TOKEN]
//       verifies the SD-JWT+KB in FILE against the issuer's public JWK, the
//       key binding against cnf.jwk, the nonce and the aud, and with
//       STATUS_TOKEN (a file) the credential's status in that Status List
//       Token (signed by the issuer); prints the disclosed claims as JSON.
//       Exit 0: valid; 1: invalid (the reason on stdout); 2: the script
//       itself failed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { StatusList, createHeaderAndPayload } from '@sd-jwt/jwt-status-list';

const STATUS_URI = 'https://peer.example/status/1';
const publicJwk = ({ crv, kty, x, y }) => ({ crv, kty, x, y });
const b64url = (text) => Buffer.from(text).toString('base64url');

async function issue(dir) {
  const issuer = await ES256.generateKeyPair();
  const holder = await ES256.generateKeyPair();
  const did = `did:jwk:${b64url(JSON.stringify(publicJwk(issuer.publicKey)))}`;
  const kbVerifier = async (data, sig, payload) =>
    (await ES256.getVerifier(payload.cnf.jwk))(data, sig);
  const instance = new SDJwtVcInstance({
    signer: await ES256.getSigner(issuer.privateKey),
    signAlg: ES256.alg,
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    kbSigner: await ES256.getSigner(holder.privateKey),
    kbSignAlg: ES256.alg,
    kbVerifier,
  });
  const claims = {
    iss: did,
    iat: Math.floor(Date.now() / 1000),
    vct: 'https://example.org/degree',
    cnf: { jwk: publicJwk(holder.publicKey) },
    given_name: 'Alice',
    birthdate: '1990-01-01',
    degree: { type: 'BachelorDegree', name: 'Bachelor of Science' },
    nationalities: ['DE', 'FR'],
    status: { status_list: { idx: 5, uri: STATUS_URI } },
  };
  const frame = {
    _sd: ['given_name', 'birthdate', 'degree'],
    degree: { _sd: ['name'] },
    nationalities: { _sd: [1] },
  };
  const issued = await instance.issue(claims, frame, { header: { kid: `${did}#0` } });
  const presented = await instance.present(issued, { degree: { name: true } }, {
    kb: { payload: { aud: 'https://didam.example', nonce: 'peer-nonce', iat: Math.floor(Date.now() / 1000) } },
  });
  writeFileSync(join(dir, 'issued.txt'), issued);
  writeFileSync(join(dir, 'presented.txt'), presented);
  writeFileSync(join(dir, 'holder.jwk.json'), JSON.stringify(holder.privateKey));
  writeFileSync(join(dir, 'issuer.jwk.json'), JSON.stringify(publicJwk(issuer.publicKey)));
  const signer = await ES256.getSigner(issuer.privateKey);
  for (const [name, status] of [['valid', 0], ['revoked', 1], ['suspended', 2]]) {
    const list = new StatusList(new Array(64).fill(0), 2);
    list.setStatus(5, status);
    const { header, payload } = createHeaderAndPayload(
      list,
      { iss: did, sub: STATUS_URI, iat: Math.floor(Date.now() / 1000) },
      { alg: ES256.alg, kid: `${did}#0` },
    );
    const data = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    writeFileSync(join(dir, `status-${name}.jwt`), `${data}.${await signer(data)}`);
  }
}

async function verify(file, issuerJwkFile, nonce, aud, statusFile) {
  const issuerJwk = JSON.parse(readFileSync(issuerJwkFile, 'utf8'));
  const instance = new SDJwtVcInstance({
    verifier: await ES256.getVerifier(issuerJwk),
    // Offline: the Status List Token comes from a file, whatever the URI.
    statusListFetcher: async () => {
      if (!statusFile) throw new Error('the credential has a status and no status list token was given');
      return readFileSync(statusFile, 'utf8').trim();
    },
    hasher: digest,
    kbVerifier: async (data, sig, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, sig),
  });
  let result;
  try {
    result = await instance.verify(readFileSync(file, 'utf8').trim(), { keyBindingNonce: nonce });
    if (result.header.typ !== 'dc+sd-jwt') throw new Error(`typ ${result.header.typ}`);
    if (!result.kb) throw new Error('no key binding');
    if (result.kb.payload.aud !== aud) throw new Error(`aud ${result.kb.payload.aud}`);
  } catch (e) {
    console.log(`invalid: ${e.message}`);
    process.exit(1);
  }
  console.log(JSON.stringify(result.payload));
}

const [command, ...args] = process.argv.slice(2);
try {
  if (command === 'issue') await issue(...args);
  else if (command === 'verify') await verify(...args);
  else throw new Error(`unknown command ${command}`);
} catch (e) {
  console.error(e);
  process.exit(2);
}
