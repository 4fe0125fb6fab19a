// Command sumdb_verify checks a transparency log fixture written by
// transparency_sumdb_fixture (tests/transparency/sumdb_fixture.cc) with Go's
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog: verifiers
// nobody in ndxp wrote. It opens every checkpoint note with the log's vkey
// (note.Open), recomputes each checkpoint's root from the leaves' data
// (tlog.StoredHashes, tlog.TreeHash), and checks every inclusion proof
// (tlog.CheckRecord) and consistency proof (tlog.CheckTree) against the
// signed roots. The witness's cosignature (C2SP tlog-cosignature, which
// sumdb/note does not know) is checked by a note.Verifier written here from
// the spec with crypto/ed25519.
//
// Then it signs with ndxp's key string: DIR/go-signed.note and the largest
// checkpoint, DIR/go-checkpoint.note, with DIR/log.key (note.NewSigner), and DIR/go-own.note with a key of its own
// (note.GenerateKey), whose strings it writes to DIR/go.key and DIR/go.vkey,
// for the C++ side to open.
//
// Usage: sumdb_verify DIR. Exits 1 naming the first item that fails.
package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sumdb_verify: "+format+"\n", args...)
	os.Exit(1)
}

func parseInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fail("bad number %q", s)
	}
	return n
}

func parseHashes(s string) []tlog.Hash {
	if s == "-" {
		return nil
	}
	var hashes []tlog.Hash
	for _, part := range strings.Split(s, ",") {
		h, err := tlog.ParseHash(part)
		if err != nil {
			fail("bad hash %q", part)
		}
		hashes = append(hashes, h)
	}
	return hashes
}

// cosignatureV1 verifies C2SP tlog-cosignature Ed25519 cosignatures: key ID
// SHA-256(name || "\n" || 0x04 || key)[:4], signature = 8-byte big-endian
// time || Ed25519 of "cosignature/v1\ntime <time>\n" || note text.
type cosignatureV1 struct {
	name string
	key  ed25519.PublicKey
	hash uint32
	time int64 // of the last verified signature
}

func newCosignatureV1(vkey string) *cosignatureV1 {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("witness vkey %q malformed", vkey)
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != 0x04 {
		fail("witness vkey %q is not a type 0x04 Ed25519 key", vkey)
	}
	sum := sha256.Sum256(append([]byte(parts[0]+"\n"), key...))
	v := &cosignatureV1{name: parts[0], key: ed25519.PublicKey(key[1:]), hash: binary.BigEndian.Uint32(sum[:4])}
	if fmt.Sprintf("%08x", v.hash) != parts[1] {
		fail("witness vkey %q: key ID is not the key's (%08x)", vkey, v.hash)
	}
	return v
}

func (v *cosignatureV1) Name() string    { return v.name }
func (v *cosignatureV1) KeyHash() uint32 { return v.hash }
func (v *cosignatureV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	if t >= 1<<63 {
		return false
	}
	signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), msg...)
	if !ed25519.Verify(v.key, signed, sig[8:]) {
		return false
	}
	v.time = int64(t)
	return true
}

// openCheckpoint opens a checkpoint note and returns its size and root,
// checking its body is exactly origin, size, root.
func openCheckpoint(path, origin string, verifiers note.Verifiers) (*note.Note, int64, tlog.Hash) {
	msg, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, verifiers)
	if err != nil {
		fail("checkpoint %s: note.Open: %v", path, err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 3 || lines[0] != origin {
		fail("checkpoint %s: body %q is not %s, size, root", path, n.Text, origin)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint %s: root %q: %v", path, lines[2], err)
	}
	return n, parseInt(lines[1]), root
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: sumdb_verify DIR")
	}
	dir := os.Args[1]
	file, err := os.Open(filepath.Join(dir, "fixture.txt"))
	if err != nil {
		fail("%v", err)
	}
	var lines [][]string
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		lines = append(lines, strings.Fields(scanner.Text()))
	}
	if err := scanner.Err(); err != nil {
		fail("%v", err)
	}

	var origin, vkey, witnessVkey string
	for _, f := range lines {
		switch f[0] {
		case "origin":
			origin = f[1]
		case "vkey":
			vkey = f[1]
		case "witness":
			witnessVkey = f[1]
		}
	}
	logVerifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey %q: note.NewVerifier: %v", vkey, err)
	}
	logOnly := note.VerifierList(logVerifier)

	// The tree, rebuilt here from the leaves' data with tlog's own hashing.
	var storage []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, index := range indexes {
			out[i] = storage[index]
		}
		return out, nil
	})
	leafHashes := map[int64]tlog.Hash{}
	roots := map[int64]tlog.Hash{}
	var largest int64
	counts := map[string]int{}
	for _, f := range lines {
		switch f[0] {
		case "leaf":
			index := parseInt(f[1])
			data, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil {
				fail("leaf %d: data: %v", index, err)
			}
			want := parseHashes(f[3])[0]
			if got := tlog.RecordHash(data); got != want {
				fail("leaf %d: tlog.RecordHash of its data is %v, the fixture says %v", index, got, want)
			}
			if index != int64(len(leafHashes)) {
				fail("leaf %d out of order", index)
			}
			hashes, err := tlog.StoredHashes(index, data, reader)
			if err != nil {
				fail("leaf %d: %v", index, err)
			}
			storage = append(storage, hashes...)
			leafHashes[index] = want
			counts["leaf"]++
		case "checkpoint":
			_, size, root := openCheckpoint(filepath.Join(dir, f[2]), origin, logOnly)
			if size != parseInt(f[1]) {
				fail("checkpoint %s: size %d, the fixture says %s", f[2], size, f[1])
			}
			own, err := tlog.TreeHash(size, reader)
			if err != nil || own != root {
				fail("checkpoint %s: signed root %v, tlog.TreeHash of the leaves %v (%v)", f[2], root, own, err)
			}
			roots[size] = root
			if size > largest {
				largest = size
			}
			counts["checkpoint"]++
		}
	}
	for _, f := range lines {
		switch f[0] {
		case "inclusion":
			index, size := parseInt(f[1]), parseInt(f[2])
			root, ok := roots[size]
			if !ok {
				fail("inclusion %d %d: no checkpoint of that size", index, size)
			}
			if err := tlog.CheckRecord(parseHashes(f[3]), size, root, index, leafHashes[index]); err != nil {
				fail("inclusion proof of leaf %d in tree size %d: tlog.CheckRecord: %v", index, size, err)
			}
			counts["inclusion"]++
		case "consistency":
			old, size := parseInt(f[1]), parseInt(f[2])
			if err := tlog.CheckTree(parseHashes(f[3]), size, roots[size], old, roots[old]); err != nil {
				fail("consistency proof of tree size %d to %d: tlog.CheckTree: %v", old, size, err)
			}
			counts["consistency"]++
		case "cosigned":
			witness := newCosignatureV1(witnessVkey)
			n, size, root := openCheckpoint(filepath.Join(dir, f[2]), origin, note.VerifierList(logVerifier, witness))
			if len(n.Sigs) != 2 || root != roots[size] {
				fail("cosigned checkpoint %s: %d verified signatures, root %v", f[2], len(n.Sigs), root)
			}
			if n.Sigs[1].Name != f[3] || witness.time != parseInt(f[4]) {
				fail("cosigned checkpoint %s: cosigned by %s at %d, the fixture says %s at %s", f[2], n.Sigs[1].Name, witness.time, f[3], f[4])
			}
			counts["cosignature"]++
		}
	}
	for _, kind := range []string{"leaf", "checkpoint", "inclusion", "consistency", "cosignature"} {
		if counts[kind] == 0 {
			fail("fixture has no %s", kind)
		}
	}
	fmt.Printf("sumdb_verify: %d leaves, %d checkpoints, %d inclusion proofs, %d consistency proofs, %d cosignatures verified\n",
		counts["leaf"], counts["checkpoint"], counts["inclusion"], counts["consistency"], counts["cosignature"])

	// Key strings the other way: Go signs with ndxp's private key string,
	// and with a key of its own whose strings ndxp must read.
	skey, err := os.ReadFile(filepath.Join(dir, "log.key"))
	if err != nil {
		fail("%v", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		fail("log.key: note.NewSigner: %v", err)
	}
	if signer.Name() != logVerifier.Name() || signer.KeyHash() != logVerifier.KeyHash() {
		fail("log.key is %s+%08x, the vkey %s", signer.Name(), signer.KeyHash(), vkey)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			fail("%v", err)
		}
	}
	signed, err := note.Sign(&note.Note{Text: "signed by Go with ndxp's log.key\n"}, signer)
	if err != nil {
		fail("note.Sign: %v", err)
	}
	write("go-signed.note", signed)
	checkpoint, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, largest, roots[largest])}, signer)
	if err != nil {
		fail("note.Sign: %v", err)
	}
	write("go-checkpoint.note", checkpoint)
	goSkey, goVkey, err := note.GenerateKey(rand.Reader, "go.sumdb.test/key")
	if err != nil {
		fail("note.GenerateKey: %v", err)
	}
	goSigner, err := note.NewSigner(goSkey)
	if err != nil {
		fail("note.NewSigner: %v", err)
	}
	own, err := note.Sign(&note.Note{Text: "signed by Go with its own key\n"}, goSigner)
	if err != nil {
		fail("note.Sign: %v", err)
	}
	write("go-own.note", own)
	write("go.key", []byte(goSkey+"\n"))
	write("go.vkey", []byte(goVkey+"\n"))
}
