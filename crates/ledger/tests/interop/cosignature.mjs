// An independent check of didam's ML-DSA-44 checkpoint cosignatures (C2SP
// tlog-cosignature v1.1, signature type 0x06), with @noble/post-quantum's
// ML-DSA-44 and node's SHA-256. Written from the spec, sharing no code with
// didam.
//
//   node cosignature.mjs verify NOTE VKEY  -> {"verified", "keyIdMatches", "messageHex", "timestamp"}
//   node cosignature.mjs sign NOTE NAME    -> {"vkey", "line"} (a line to append to NOTE)
// Exit 0 when verified (or signed), 1 when not verified, 2 on a crash.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';

const enc = new TextEncoder();

function u64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function opaque8(bytes) {
  if (bytes.length < 1 || bytes.length > 255) throw new Error('opaque<1..2^8-1> out of range');
  return Buffer.concat([Buffer.from([bytes.length]), Buffer.from(bytes)]);
}

// struct { label[12] "subtree/v1\n\0"; opaque cosigner_name<1..2^8-1>; uint64 timestamp;
//          opaque log_origin<1..2^8-1>; uint64 start; uint64 end; uint8 hash[32]; }
function cosignedMessage(name, timestamp, text) {
  const [origin, size, root] = text.split('\n');
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32) throw new Error('root hash is not 32 bytes');
  return Buffer.concat([
    Buffer.from('subtree/v1\n\0', 'latin1'),
    opaque8(enc.encode(name)),
    u64(timestamp),
    opaque8(enc.encode(origin)),
    u64(0),
    u64(BigInt(size)),
    hash,
  ]);
}

function keyId(name, encodedKey) {
  return createHash('sha256').update(Buffer.concat([enc.encode(name + '\n'), encodedKey])).digest().subarray(0, 4);
}

function split(note) {
  const at = note.lastIndexOf('\n\n');
  return { text: note.slice(0, at + 1), lines: note.slice(at + 2).split('\n').filter((l) => l) };
}

function verify(notePath, vkey) {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  const [name, idHex] = [vkey.slice(0, first), vkey.slice(first + 1, second)];
  const encoded = Buffer.from(vkey.slice(second + 1), 'base64');
  if (encoded[0] !== 0x06 || encoded.length !== 1313) throw new Error('not an ML-DSA-44 cosignature vkey');
  const keyIdMatches = keyId(name, encoded).toString('hex') === idHex;
  const { text, lines } = split(readFileSync(notePath, 'utf8'));
  for (const line of lines) {
    const [dash, lineName, sig] = line.split(' ');
    if (dash !== '\u2014' || lineName !== name) continue;
    const raw = Buffer.from(sig, 'base64');
    if (raw.subarray(0, 4).toString('hex') !== idHex) continue;
    const timestamp = raw.readBigUInt64BE(4);
    const signature = raw.subarray(12);
    const message = cosignedMessage(name, timestamp, text);
    const verified = signature.length === 2420 && ml_dsa44.verify(signature, message, encoded.subarray(1));
    return { verified, keyIdMatches, messageHex: message.toString('hex'), timestamp: Number(timestamp) };
  }
  return { verified: false, keyIdMatches, messageHex: '', timestamp: 0 };
}

function sign(notePath, name) {
  const { secretKey, publicKey } = ml_dsa44.keygen(randomBytes(32));
  const encoded = Buffer.concat([Buffer.from([0x06]), Buffer.from(publicKey)]);
  const id = keyId(name, encoded);
  const { text } = split(readFileSync(notePath, 'utf8'));
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = ml_dsa44.sign(cosignedMessage(name, timestamp, text), secretKey); // hedged, empty context
  const raw = Buffer.concat([id, u64(timestamp), Buffer.from(signature)]);
  return { vkey: `${name}+${id.toString('hex')}+${encoded.toString('base64')}`, line: `\u2014 ${name} ${raw.toString('base64')}\n`, timestamp };
}

try {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'verify') {
    const result = verify(args[0], readFileSync(args[1], 'utf8').trim());
    console.log(JSON.stringify(result));
    process.exit(result.verified && result.keyIdMatches ? 0 : 1);
  } else if (command === 'sign') {
    console.log(JSON.stringify(sign(args[0], args[1])));
  } else {
    throw new Error(`unknown command ${command}`);
  }
} catch (e) {
  console.error(e);
  process.exit(2);
}
