"""The transparency log's checks as an auditor writes them from the specs,
independent of ndxp's C++: the v4 audit row encoding
(gateway/recording/audit_chain.h), RFC 9162's Merkle tree hash and proof
verification, C2SP signed notes (Ed25519, python3-cryptography) and
tlog-cosignature's cosignature/v1. Shared by test_receipts.py,
test_federation_e2e.py and test_witness.py.
"""

import base64
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def encode_v4(row):
    """The canonical v4 encoding of an audit row (audit_chain.h)."""
    out = b""

    def string(value):
        nonlocal out
        data = value.encode()
        out += struct.pack(">I", len(data)) + data

    def integer(value):
        nonlocal out
        out += struct.pack(">q", value)

    string("ndxp-audit-v4")
    string(row["replica"])
    integer(row["seq"])
    integer(row["time_micros"])
    for name in ("request_id", "consumer", "provider", "service", "method"):
        string(row[name])
    for name in ("status_code", "latency_micros", "request_bytes", "response_bytes"):
        integer(row[name])
    for name in ("purpose", "refusal", "via", "row_kind", "door", "refusal_kind"):
        string(row[name])
    integer(row["repeat_count"])
    string(row["subject_key_id"])
    string(row["subjects"])
    integer(row["visible_after"])
    return out


def merkle_root(leaves):
    """RFC 9162 2.1.1's MTH, from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:split]) +
                          merkle_root(leaves[split:])).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first & (first - 1) == 0:  # a power of two: the first root starts the path
        proof = [first_root] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    if not proof:
        return False
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def open_note(note, vkey):
    """The text of a signed note whose signature by `vkey` (C2SP signed-note,
    Ed25519) verifies; fails the test otherwise."""
    name, key_id, key = vkey.split("+", 2)
    key = base64.b64decode(key)
    assert key[0] == 1, "an Ed25519 note key"
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        dash, signer, signature = line.split(" ")
        signature = base64.b64decode(signature)
        if dash == "\u2014" and signer == name and signature[:4].hex() == key_id:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(signature[4:], text.encode())
            return text
    raise AssertionError("no signature by %s in %r" % (vkey, note))


def cosignature_time(note, vkey):
    """The time a cosignature by the witness key `vkey` on `note` states, once
    it verifies (C2SP tlog-cosignature: Ed25519 over "cosignature/v1\\ntime
    <t>\\n" and the checkpoint's text, the signature 8-byte big-endian t
    followed by the Ed25519 signature); None when the note has none by it."""
    name, key_id, key = vkey.split("+", 2)
    key = base64.b64decode(key)
    assert key[0] == 4, "a cosignature/v1 key"
    text, _, signatures = note.partition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        dash, signer, signature = line.split(" ")
        signature = base64.b64decode(signature)
        if dash == "\u2014" and signer == name and signature[:4].hex() == key_id:
            (seconds,) = struct.unpack(">Q", signature[4:12])
            message = ("cosignature/v1\ntime %d\n" % seconds + text).encode()
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(signature[12:], message)
            return seconds
    return None
