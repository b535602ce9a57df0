"""The other side of the did:webvh interop test (../didwebvh_interop.rs).

Drives the PyPI package `did-webvh` (pinned in requirements.txt), offline:

    didwebvh_interop.py verify <did.jsonl>
        Resolves the log from the local file (no fetch from the DID's host),
        verifying every entry's hash chain, SCID, parameters, pre-rotation and
        eddsa-jcs-2022 proof. Prints {"didDocument", "didDocumentMetadata"} as
        JSON and exits 0 if the package accepts the log; prints the DID
        Resolution error and exits 1 if it refuses it.

    didwebvh_interop.py create <out-dir>
        Writes <out-dir>/did.jsonl: a new did:webvh DID for example.com made by
        the package with its own Ed25519 keys, with pre-rotation, and a second
        entry that rotates to the committed key. Prints the DID.

Any other failure (bad arguments, a crash in the package) exits 2 or 3, so a
caller never mistakes it for a refused log.
"""

import asyncio
import json
import sys
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

from did_webvh.askar import AskarSigningKey
from did_webvh.const import HISTORY_FILENAME
from did_webvh.core.hash_utils import DEFAULT_HASH, HashInfo
from did_webvh.core.resolver import DidResolver, ResolutionError
from did_webvh.history import (
    did_history_resolver,
    load_local_history,
    update_document_state,
    write_document_state,
)
from did_webvh.provision import genesis_document, provision_did
from did_webvh.verify import WebvhVerifier


async def verify(log: Path) -> int:
    source = did_history_resolver(local_history=log)
    try:
        # document_id=None: the DID is the one the log names; the caller compares it.
        state, meta = await DidResolver(WebvhVerifier()).resolve_state(None, source)
    except ResolutionError as err:
        print(json.dumps({"didResolutionMetadata": err.serialize()}, indent=2))
        return 1
    print(
        json.dumps(
            {"didDocument": state.document, "didDocumentMetadata": meta.serialize()},
            indent=2,
        )
    )
    return 0


def key_hash(key: AskarSigningKey) -> str:
    return HashInfo.from_name(DEFAULT_HASH).formatted_hash(key.multikey.encode("utf-8"))


def document(did: str, key: AskarSigningKey) -> dict:
    doc = genesis_document(did)
    doc["verificationMethod"] = [
        {
            "id": f"{did}#key-1",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.multikey,
        }
    ]
    doc["assertionMethod"] = [f"{did}#key-1"]
    return doc


async def create(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    first, second, third = (AskarSigningKey.generate("ed25519") for _ in range(3))
    # Whole seconds in the past, so a verifier's "not in the future" holds at once.
    now = datetime.now(timezone.utc).replace(microsecond=0)

    genesis = provision_did(
        document("did:webvh:{SCID}:example.com", first),
        params={"updateKeys": [first.multikey], "nextKeyHashes": [key_hash(second)]},
        timestamp=now - timedelta(seconds=60),
    )
    genesis.sign(first, timestamp=genesis.timestamp)
    write_document_state(out, genesis)

    # Rotate to the committed key, committing to the next one.
    did = genesis.document_id
    rotated = update_document_state(
        genesis,
        second,
        document=document(did, second),
        params_update={"updateKeys": [second.multikey], "nextKeyHashes": [key_hash(third)]},
        timestamp=now - timedelta(seconds=30),
    )
    write_document_state(out, rotated)

    # The package's own check of what it wrote.
    await load_local_history(out / HISTORY_FILENAME, verify_proofs=True)
    print(did)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("verify", "create"):
        print(__doc__, file=sys.stderr)
        return 2
    command, path = argv[1], Path(argv[2])
    try:
        return asyncio.run(verify(path) if command == "verify" else create(path))
    except Exception:  # noqa: BLE001 - reported, and told apart from a refusal
        traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
