#!/usr/bin/python3
"""An independent verifier for rsf's ledger, written from the C2SP specifications and RFC
6962/9162 (not from rsf's code), to show that tools other than rsf can read what rsf writes.

Checks, using only Python's standard library and the `cryptography` package:
  1. the C2SP signed-note example key and signature (sanity of this verifier itself);
  2. the signed checkpoint in <ledger>/log/checkpoint against the verifier key;
  3. every level of the tlog-tiles tree: the root recomputed from the tile files equals the
     checkpoint's root, and every entry bundle hashes to its level-0 tile;
  4. every .tlog-proof file given.

usage: c2sp_verify.py LEDGER_DIR VERIFIER_KEY [PROOF_FILE...]
"""
import base64
import hashlib
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EM_DASH = "\u2014"


def fail(msg):
    print("c2sp_verify: FAIL: " + msg)
    sys.exit(1)


def parse_vkey(vkey):
    name, khash, key = vkey.split("+", 2)
    raw = base64.b64decode(key, validate=True)
    if raw[0] != 1 or len(raw) != 33:
        fail("not an Ed25519 verifier key")
    want = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if want.hex() != khash:
        fail("key hash mismatch in " + vkey)
    return name, want, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(note, vkey):
    name, khash, pub = parse_vkey(vkey)
    text, sep, sigs = note.rpartition("\n\n")
    if not sep:
        fail("note without signatures")
    text += "\n"
    ok = False
    for line in sigs.splitlines():
        if not line.startswith(EM_DASH + " "):
            fail("bad signature line " + line)
        signer, b64 = line[2:].split(" ")
        blob = base64.b64decode(b64, validate=True)
        if signer == name and blob[:4] == khash:
            pub.verify(blob[4:], text.encode())  # raises InvalidSignature
            ok = True
    if not ok:
        fail("no signature by " + name)
    return text


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(hashes):
    """RFC 6962 MTH over a list of already-hashed leaves (recursive definition)."""
    n = len(hashes)
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def tile_path(level, n, width):
    parts = []
    while True:
        parts.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    elems = ["x%03d" % p for p in reversed(parts[1:])] + ["%03d" % parts[0]]
    path = "tile/%s/%s" % (level, "/".join(elems))
    if 0 < width < 256:
        path += ".p/%d" % width
    return path


def read_tile(root, level, n, width):
    data = open(os.path.join(root, tile_path(level, n, width)), "rb").read()
    if len(data) != 32 * width:
        fail("tile %s has %d bytes" % (tile_path(level, n, width), len(data)))
    return [data[i:i + 32] for i in range(0, len(data), 32)]


def check_tree(log_dir, size, root):
    """Recomputes the root from the tiles the C2SP way and checks entry bundles."""
    if size == 0:
        return hashlib.sha256(b"").digest() == root
    level_hashes = []  # per level: all stored hashes (full tiles then partial)
    level, count = 0, size
    while count > 0:
        hashes = []
        full, width = count // 256, count % 256
        for n in range(full):
            hashes += read_tile(log_dir, level, n, 256)
        if width:
            hashes += read_tile(log_dir, level, full, width)
        level_hashes.append(hashes)
        count //= 256
        level += 1
    # Each stored hash at level L >= 1 is the MTH of the full tile below.
    for lv in range(1, len(level_hashes)):
        below = level_hashes[lv - 1]
        for i, h in enumerate(level_hashes[lv]):
            if mth(below[i * 256:(i + 1) * 256]) != h:
                fail("level %d hash %d does not match the tile below" % (lv, i))
    # Entry bundles hash to level 0.
    leaves = level_hashes[0]
    for n in range((size + 255) // 256):
        width = 256 if (n + 1) * 256 <= size else size % 256
        bundle = open(os.path.join(log_dir, tile_path("entries", n, width)), "rb").read()
        pos, i = 0, 0
        while pos < len(bundle):
            length = int.from_bytes(bundle[pos:pos + 2], "big")
            entry = bundle[pos + 2:pos + 2 + length]
            if leaf_hash(entry) != leaves[n * 256 + i]:
                fail("entry %d does not hash to its level-0 tile" % (n * 256 + i))
            pos += 2 + length
            i += 1
        if i != width:
            fail("bundle %d holds %d entries, expected %d" % (n, i, width))
    return mth(leaves) == root


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def check_proof(path, vkey):
    text = open(path, encoding="utf-8").read()
    head, _, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        fail(path + ": bad header")
    i = 1
    extra = b""
    if lines[i].startswith("extra "):
        extra = base64.b64decode(lines[i][6:], validate=True)
        i += 1
    index = int(lines[i][len("index "):])
    hashes = [base64.b64decode(h, validate=True) for h in lines[i + 1:]]
    cp = open_note(checkpoint, vkey).split("\n")
    size, root = int(cp[1]), base64.b64decode(cp[2], validate=True)
    if not verify_inclusion(index, size, leaf_hash(extra), hashes, root):
        fail(path + ": inclusion proof does not verify")


def main():
    # 1. The specification's own example.
    open_note("This is an example message.\n\n" + EM_DASH + " example.com/foo "
              "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
              "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    ledger, vkey = sys.argv[1], open(sys.argv[2]).read().strip() if os.path.exists(sys.argv[2]) else sys.argv[2]
    log_dir = os.path.join(ledger, "log")
    cp = open_note(open(os.path.join(log_dir, "checkpoint"), encoding="utf-8").read(), vkey).split("\n")
    origin, size, root = cp[0], int(cp[1]), base64.b64decode(cp[2], validate=True)
    if origin != vkey.split("+")[0]:
        fail("origin differs from key name")
    if not check_tree(log_dir, size, root):
        fail("root recomputed from tiles differs from the checkpoint")
    for proof in sys.argv[3:]:
        check_proof(proof, vkey)
    print("c2sp_verify: OK: %s, %d entries, %d proofs verified independently" %
          (origin, size, len(sys.argv) - 3))


if __name__ == "__main__":
    main()
