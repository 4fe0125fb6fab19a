#!/bin/sh
# The transparency log checked by Go's golang.org/x/mod/sumdb (note, tlog),
# verifiers nobody in ndxp wrote: a fixture written by the C++ library
# verifies (checkpoint notes, roots, every inclusion and consistency proof,
# the witness's cosignature), Go's notes signed with ndxp's key string and
# with Go's own key open in C++, and a fixture with one flipped bit (a proof
# hash, a leaf's data, a checkpoint, a cosignature's time) is rejected by Go
# for that reason.
#
# Usage: sumdb_interop_test.sh FIXTURE_TOOL GO_SOURCE_DIR WORK_DIR GOCACHE
# Go builds offline from Debian's golang-golang-x-mod-dev (GOPATH mode).
set -eu
tool=$1 src=$2 work=$3 gocache=$4

if ! command -v go >/dev/null; then
  echo "go not found: scripts/install-deps installs golang-go and golang-golang-x-mod-dev" >&2
  exit 1
fi
rm -rf "$work"
mkdir -p "$work"
verify="$work/sumdb_verify"
(cd "$src" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$gocache" GOFLAGS= \
  go build -o "$verify" .)

good="$work/good"
mkdir "$good"
"$tool" write "$good"
"$verify" "$good"
"$tool" open-go-notes "$good"

for flip in inclusion consistency leaf checkpoint cosignature; do
  case $flip in
    inclusion) reason="inclusion proof of leaf" ;;
    consistency) reason="consistency proof of tree size" ;;
    leaf) reason="tlog.RecordHash of its data" ;;
    checkpoint) reason="note.Open: invalid signature for key ndxp.test/audit" ;;
    cosignature) reason="note.Open: invalid signature for key province.ndxp.test/witness" ;;
  esac
  dir="$work/flipped-$flip"
  mkdir "$dir"
  "$tool" write "$dir" "--flip=$flip"
  if "$verify" "$dir" 2>"$dir/stderr"; then
    echo "FAIL: Go accepted the fixture with a flipped $flip" >&2
    exit 1
  fi
  if ! grep -qF "$reason" "$dir/stderr"; then
    echo "FAIL: the fixture with a flipped $flip was rejected for another reason than \"$reason\":" >&2
    cat "$dir/stderr" >&2
    exit 1
  fi
  echo "flipped $flip rejected: $(cat "$dir/stderr")"
done
echo "sumdb interop OK"
