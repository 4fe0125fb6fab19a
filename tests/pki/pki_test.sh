#!/usr/bin/env bash
# Test for certs/ndxp-pki.
# Usage: pki_test.sh /path/to/ndxp-pki
set -uo pipefail
export LC_ALL=C

PKI=${1:-}
if [[ -z $PKI ]]; then
  echo "usage: $0 /path/to/ndxp-pki" >&2
  exit 2
fi
if [[ ! -f $PKI ]]; then
  echo "FATAL: $PKI not found" >&2
  exit 2
fi
PKI=$(cd "$(dirname -- "$PKI")" && pwd -P)/$(basename -- "$PKI")
command -v openssl >/dev/null || { echo "FATAL: openssl not found" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/ndxp-pki-test.XXXXXXXX") || exit 2
trap 'rm -rf -- "$T"' EXIT
cd "$T" || exit 2

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$1"; [[ -n ${2-} ]] && printf '     %s\n' "${2//$'\n'/$'\n'     }"; }
check() { # check DESCRIPTION COMMAND... (passes when COMMAND exits 0)
  local desc=$1; shift
  local out
  (( $# )) || { fail "$desc" "(test bug: no command given)"; return; }
  if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "$out"; fi
}

# run_pki: runs ndxp-pki, captures stdout/stderr/exit status in OUT, ERR, RC.
run_pki() {
  OUT=$(bash "$PKI" "$@" 2>"$T/.stderr")
  RC=$?
  ERR=$(<"$T/.stderr")
}

# The URI SANs of a certificate, one per line.
uri_sans() {
  openssl x509 -noout -ext subjectAltName -in "$1" 2>/dev/null |
    tr ',' '\n' | sed -n 's/^[[:space:]]*URI://p'
}

verify() { openssl verify -CAfile "$CA/ca.pem" "$@" 2>&1; }

file_mode() { stat -c %a -- "$1"; }

CA=$T/ca
TD=ndxp.gov.vn

# --- help --------------------------------------------------------------------
for h in --help help -h; do
  run_pki "$h"
  if [[ $RC -eq 0 && $OUT == *init-ca* && $OUT == *issue* && $OUT == *revoke* && $OUT == *crl* && $OUT == *bad* ]]; then
    pass "'$h' exits 0 and documents every subcommand"
  else
    fail "'$h' exits 0 and documents every subcommand" "rc=$RC out=$OUT err=$ERR"
  fi
done

run_pki no-such-command
if [[ $RC -ne 0 && -n $ERR ]]; then pass "unknown command fails with a message on stderr"
else fail "unknown command fails with a message on stderr" "rc=$RC err=$ERR"; fi

run_pki issue --agency 000.00.00.G12 --subsystem x --out "$T/x"
if [[ $RC -ne 0 && $ERR == *--dir* ]]; then pass "missing --dir is refused naming --dir"
else fail "missing --dir is refused naming --dir" "rc=$RC err=$ERR"; fi

# --- init-ca -----------------------------------------------------------------
run_pki init-ca --dir "$CA"
if [[ $RC -eq 0 && -s $CA/ca.pem && -s $CA/ca.key ]]; then pass "init-ca creates ca.pem and ca.key"
else fail "init-ca creates ca.pem and ca.key" "rc=$RC out=$OUT err=$ERR"; fi
check "init-ca prints a one-line summary" test "$(printf '%s\n' "$OUT" | wc -l)" -eq 1
check "CA database exists (index.txt, serial, crlnumber)" test -f "$CA/index.txt" -a -f "$CA/serial" -a -f "$CA/crlnumber"
check "trust domain is remembered" grep -qx "$TD" "$CA/trust-domain"
check "CA key mode is 600" test "$(file_mode "$CA/ca.key")" = 600
check "CA cert is a CA (basicConstraints CA:TRUE)" \
  bash -c "openssl x509 -noout -ext basicConstraints -in '$CA/ca.pem' | grep -q 'CA:TRUE'"
check "CA key is EC P-256" \
  bash -c "openssl pkey -in '$CA/ca.key' -noout -text | grep -q 'NIST CURVE: P-256'"

cp "$CA/ca.pem" "$T/ca-before.pem"
run_pki init-ca --dir "$CA"
if [[ $RC -ne 0 && $ERR == *--force* ]] && cmp -s "$CA/ca.pem" "$T/ca-before.pem"; then
  pass "init-ca twice without --force fails and leaves the CA alone"
else
  fail "init-ca twice without --force fails and leaves the CA alone" "rc=$RC err=$ERR"
fi

run_pki init-ca --dir "$T/ca2" --trust-domain example.org --name "Second CA" --days 30
run_pki init-ca --dir "$T/ca2" --trust-domain example.org --force
if [[ $RC -eq 0 ]]; then pass "init-ca --force replaces an existing CA"
else fail "init-ca --force replaces an existing CA" "rc=$RC err=$ERR"; fi

run_pki init-ca --dir "$T/ca3" --trust-domain 'Bad_Domain'
if [[ $RC -eq 2 && ! -e $T/ca3/ca.pem ]]; then pass "init-ca refuses an invalid trust domain (exit 2)"
else fail "init-ca refuses an invalid trust domain (exit 2)" "rc=$RC err=$ERR"; fi

# --- issue -------------------------------------------------------------------
mkdir -p "$T/out"
run_pki issue --dir "$CA" --agency 000.00.00.G12 --subsystem tax-lookup --out "$T/out/client"
if [[ $RC -eq 0 && -s $T/out/client.pem && -s $T/out/client.key ]]; then pass "issue writes PREFIX.pem and PREFIX.key"
else fail "issue writes PREFIX.pem and PREFIX.key" "rc=$RC out=$OUT err=$ERR"; fi
check "issue prints the one-line summary" \
  test "$OUT" = "issued spiffe://$TD/agency/000.00.00.G12/tax-lookup -> $T/out/client.pem"
check "client cert verifies against the CA" verify "$T/out/client.pem"
check "client cert has exactly the expected URI SAN" \
  test "$(uri_sans "$T/out/client.pem")" = "spiffe://$TD/agency/000.00.00.G12/tax-lookup"
check "client key mode is 600" test "$(file_mode "$T/out/client.key")" = 600
check "client cert subject CN is CODE/NAME" \
  bash -c "openssl x509 -noout -subject -nameopt RFC2253 -in '$T/out/client.pem' | grep -qx 'subject=CN=000.00.00.G12/tax-lookup'"
check "client cert is clientAuth only" \
  bash -c "openssl x509 -noout -ext extendedKeyUsage -in '$T/out/client.pem' | grep -q 'Client Authentication' &&
           ! openssl x509 -noout -ext extendedKeyUsage -in '$T/out/client.pem' | grep -q 'Server Authentication'"
check "client cert is not a CA and has keyUsage digitalSignature" \
  bash -c "openssl x509 -noout -ext basicConstraints,keyUsage -in '$T/out/client.pem' | grep -q 'CA:FALSE' &&
           openssl x509 -noout -ext keyUsage -in '$T/out/client.pem' | grep -q 'Digital Signature'"
check "client cert verifies for purpose sslclient" openssl verify -CAfile "$CA/ca.pem" -purpose sslclient "$T/out/client.pem"
check "PREFIX.pem holds only the leaf certificate" \
  test "$(grep -c 'BEGIN CERTIFICATE' "$T/out/client.pem")" -eq 1 -a "$(head -c 27 "$T/out/client.pem")" = "-----BEGIN CERTIFICATE-----"
check "client cert matches its key" \
  test "$(openssl x509 -noout -pubkey -in "$T/out/client.pem")" = "$(openssl pkey -pubout -in "$T/out/client.key")"

run_pki issue --dir "$CA" --agency 000.00.18.H49 --subsystem hub --out "$T/out/server" --server --dns hub.example --ip 10.1.2.3
if [[ $RC -eq 0 ]]; then pass "issue --server works"; else fail "issue --server works" "rc=$RC err=$ERR"; fi
check "server cert verifies against the CA" verify "$T/out/server.pem"
check "server cert verifies for purpose sslserver" openssl verify -CAfile "$CA/ca.pem" -purpose sslserver "$T/out/server.pem"
check "server cert has exactly the expected URI SAN" \
  test "$(uri_sans "$T/out/server.pem")" = "spiffe://$TD/agency/000.00.18.H49/hub"
SAN=$(openssl x509 -noout -ext subjectAltName -in "$T/out/server.pem")
# shellcheck disable=SC2016  # $1 is expanded by the inner bash
check "server cert SAN has DNS:localhost, IP:127.0.0.1 and the extra --dns/--ip" \
  bash -c '[[ $1 == *"DNS:localhost"* && $1 == *"IP Address:127.0.0.1"* && $1 == *"DNS:hub.example"* && $1 == *"IP Address:10.1.2.3"* ]]' _ "$SAN"
check "server key mode is 600" test "$(file_mode "$T/out/server.key")" = 600

# Valid codes, including the 35-character limit.
CODE35=0000000000.0000000000.0000000000.00
N=0
for code in 000.00.00.G12 000.00.18.H49 H49 "$CODE35"; do
  N=$((N + 1))
  run_pki issue --dir "$CA" --agency "$code" --subsystem "svc.$N" --out "$T/out/valid$N"
  if [[ $RC -eq 0 ]] && [[ "$(uri_sans "$T/out/valid$N.pem")" == "spiffe://$TD/agency/$code/svc.$N" ]]; then
    pass "valid agency code '$code' is accepted"
  else
    fail "valid agency code '$code' is accepted" "rc=$RC err=$ERR"
  fi
done

# Invalid codes: exit 2, message names the field, no files, no CA database entry.
INDEX_LINES=$(wc -l <"$CA/index.txt")
for code in 000..00.G12 abc.00 .000 000. "${CODE35}0" "" "000.00.00.g12" "000 00" "000/00"; do
  mkdir -p "$T/inv"
  run_pki issue --dir "$CA" --agency "$code" --subsystem test --out "$T/inv/x"
  left=$(ls -A "$T/inv")
  if [[ $RC -eq 2 && $ERR == *agency* && -z $left && $(wc -l <"$CA/index.txt") -eq $INDEX_LINES ]]; then
    pass "invalid agency code '$code' is refused with exit 2, nothing written"
  else
    fail "invalid agency code '$code' is refused with exit 2, nothing written" "rc=$RC err=$ERR left=[$left]"
  fi
  rm -rf "$T/inv"
done
for sub in "" Tax -x .x "a/b" "$(printf 'a%.0s' {1..64})"; do
  mkdir -p "$T/inv"
  run_pki issue --dir "$CA" --agency 000.00.00.G12 --subsystem "$sub" --out "$T/inv/x"
  left=$(ls -A "$T/inv")
  if [[ $RC -eq 2 && $ERR == *subsystem* && -z $left ]]; then
    pass "invalid subsystem '${sub:0:20}' is refused with exit 2, nothing written"
  else
    fail "invalid subsystem '${sub:0:20}' is refused with exit 2, nothing written" "rc=$RC err=$ERR left=[$left]"
  fi
  rm -rf "$T/inv"
done
run_pki issue --dir "$CA" --agency 000.00.00.G12 --subsystem "$(printf 'a%.0s' {1..63})" --out "$T/out/sub63"
if [[ $RC -eq 0 ]]; then pass "63-character subsystem is accepted"; else fail "63-character subsystem is accepted" "rc=$RC err=$ERR"; fi

run_pki issue --dir "$T/no-such-ca" --agency 000.00.00.G12 --subsystem x --out "$T/out/nope"
if [[ $RC -ne 0 && -n $ERR && ! -e $T/out/nope.pem ]]; then pass "issue with a missing CA dir fails clearly"
else fail "issue with a missing CA dir fails clearly" "rc=$RC err=$ERR"; fi

# --- bad certificates --------------------------------------------------------
mkdir -p "$T/bad"
for kind in expired other-ca no-uri-san bad-agency-code wrong-trust-domain; do
  run_pki bad --dir "$CA" --kind "$kind" --out "$T/bad/$kind"
  if [[ $RC -eq 0 && -s $T/bad/$kind.pem && -s $T/bad/$kind.key ]]; then pass "bad --kind $kind is produced"
  else fail "bad --kind $kind is produced" "rc=$RC err=$ERR"; fi
  check "bad --kind $kind key mode is 600" test "$(file_mode "$T/bad/$kind.key")" = 600
done

V=$(verify "$T/bad/expired.pem")
if [[ $? -ne 0 && $V == *"certificate has expired"* ]]; then pass "expired cert fails verify with an expiry error"
else fail "expired cert fails verify with an expiry error" "$V"; fi
check "expired cert carries a valid identity" \
  test "$(uri_sans "$T/bad/expired.pem")" = "spiffe://$TD/agency/000.00.00.G12/test"
check "expired cert verifies when time is ignored (signed by the CA)" \
  openssl verify -no_check_time -CAfile "$CA/ca.pem" "$T/bad/expired.pem"

if V=$(verify "$T/bad/other-ca.pem"); then fail "other-ca cert fails verify" "$V"; else pass "other-ca cert fails verify"; fi
check "other-ca cert carries a valid identity" \
  test "$(uri_sans "$T/bad/other-ca.pem")" = "spiffe://$TD/agency/000.00.00.G12/test"
check "other CA is kept under DIR/other-ca/ and signed the cert" \
  openssl verify -CAfile "$CA/other-ca/ca.pem" "$T/bad/other-ca.pem"

check "no-uri-san cert verifies" verify "$T/bad/no-uri-san.pem"
check "no-uri-san cert has no URI SAN" test -z "$(uri_sans "$T/bad/no-uri-san.pem")"
check "no-uri-san cert is clientAuth" \
  bash -c "openssl x509 -noout -ext extendedKeyUsage -in '$T/bad/no-uri-san.pem' | grep -q 'Client Authentication'"

check "bad-agency-code cert verifies" verify "$T/bad/bad-agency-code.pem"
check "bad-agency-code cert carries the bad URI" \
  test "$(uri_sans "$T/bad/bad-agency-code.pem")" = "spiffe://$TD/agency/not-a-code/test"

check "wrong-trust-domain cert verifies" verify "$T/bad/wrong-trust-domain.pem"
check "wrong-trust-domain cert carries the bad URI" \
  test "$(uri_sans "$T/bad/wrong-trust-domain.pem")" = "spiffe://evil.example/agency/000.00.00.G12/x"

run_pki bad --dir "$CA" --kind nonsense --out "$T/bad/nonsense"
if [[ $RC -eq 2 && ! -e $T/bad/nonsense.pem ]]; then pass "bad with an unknown --kind is refused"
else fail "bad with an unknown --kind is refused" "rc=$RC err=$ERR"; fi

# --- revoke + crl ------------------------------------------------------------
run_pki revoke --dir "$CA" --cert "$T/out/client.pem"
if [[ $RC -eq 0 ]]; then pass "revoke works"; else fail "revoke works" "rc=$RC err=$ERR"; fi
SERIAL=$(openssl x509 -noout -serial -in "$T/out/client.pem"); SERIAL=${SERIAL#serial=}
check "revoked cert is marked R in the CA database" \
  bash -c "awk -F'\t' '\$1 == \"R\" && \$4 == \"$SERIAL\"' '$CA/index.txt' | grep -q ."

run_pki revoke --dir "$CA" --cert "$T/bad/other-ca.pem"
if [[ $RC -ne 0 && -n $ERR ]]; then pass "revoke refuses a cert from another CA"
else fail "revoke refuses a cert from another CA" "rc=$RC err=$ERR"; fi

run_pki crl --dir "$CA" --out "$T/pub/crl.pem"
if [[ $RC -eq 0 && -s $T/pub/crl.pem ]]; then pass "crl writes the CRL"; else fail "crl writes the CRL" "rc=$RC err=$ERR"; fi
check "CRL is a PEM CRL signed by the CA" openssl crl -in "$T/pub/crl.pem" -CAfile "$CA/ca.pem" -noout
HASH=$(openssl x509 -hash -noout -in "$CA/ca.pem")
check "CRL copy exists as DIR/crl/$HASH.r0" cmp "$T/pub/crl.pem" "$CA/crl/$HASH.r0"

V=$(openssl verify -crl_check -CRLfile "$T/pub/crl.pem" -CAfile "$CA/ca.pem" "$T/out/client.pem" 2>&1)
if [[ $? -ne 0 && $V == *"certificate revoked"* ]]; then pass "revoked cert fails verify -crl_check"
else fail "revoked cert fails verify -crl_check" "$V"; fi
check "other cert still passes verify -crl_check" \
  openssl verify -crl_check -CRLfile "$T/pub/crl.pem" -CAfile "$CA/ca.pem" "$T/out/server.pem"
check "other cert passes verify -crl_check with DIR/crl as CRL directory" \
  openssl verify -crl_check -CAfile "$CA/ca.pem" -CApath "$CA/crl" "$T/out/server.pem"
V=$(openssl verify -crl_check -CAfile "$CA/ca.pem" -CApath "$CA/crl" "$T/out/client.pem" 2>&1)
if [[ $? -ne 0 && $V == *"certificate revoked"* ]]; then pass "revoked cert fails verify with DIR/crl as CRL directory"
else fail "revoked cert fails verify with DIR/crl as CRL directory" "$V"; fi

# --- identity provider and subject tokens ------------------------------------
IDP=$T/idp
check "--help documents init-idp and subject-token (--sub -, --sub-file)" \
  bash -c "bash '$PKI' --help | grep -q 'init-idp --dir' && bash '$PKI' --help | grep -q 'subject-token --dir' &&
           bash '$PKI' --help | grep -q -- '--sub-file FILE'"
run_pki init-idp --dir "$IDP"
if [[ $RC -eq 0 && -s $IDP/idp.key && -s $IDP/idp.pem ]]; then pass "init-idp creates idp.key and idp.pem"
else fail "init-idp creates idp.key and idp.pem" "rc=$RC out=$OUT err=$ERR"; fi
check "identity provider key mode is 600" test "$(file_mode "$IDP/idp.key")" = 600
check "identity provider key is EC P-256" \
  bash -c "openssl pkey -in '$IDP/idp.key' -noout -text | grep -q 'NIST CURVE: P-256'"
check "idp.pem is the public key of idp.key" \
  test "$(openssl pkey -pubin -in "$IDP/idp.pem")" = "$(openssl pkey -pubout -in "$IDP/idp.key")"
cp "$IDP/idp.pem" "$T/idp-before.pem"
run_pki init-idp --dir "$IDP"
if [[ $RC -ne 0 && $ERR == *--force* ]] && cmp -s "$IDP/idp.pem" "$T/idp-before.pem"; then
  pass "init-idp twice without --force fails and leaves the key alone"
else
  fail "init-idp twice without --force fails and leaves the key alone" "rc=$RC err=$ERR"
fi
run_pki init-idp --dir "$T/idp2"
run_pki init-idp --dir "$T/idp2" --force
if [[ $RC -eq 0 ]] && ! cmp -s "$T/idp2/idp.pem" "$IDP/idp.pem"; then pass "init-idp --force makes a new key"
else fail "init-idp --force makes a new key" "rc=$RC err=$ERR"; fi

# jwt_check TOKEN PEM [EXPECTED-TTL]: python3-jwt (an implementation
# independent of OpenSSL's CLI) verifies TOKEN with PEM, pinned to ES256,
# and the claims; prints the sub. With no EXPECTED-TTL the expiry is not
# checked (tokens issued --now in the past).
jwt_check() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, jwt
token, pem = sys.argv[1], open(sys.argv[2]).read()
ttl = int(sys.argv[3]) if len(sys.argv) > 3 else None
claims = jwt.decode(token, pem, algorithms=["ES256"], audience="ndxp-hub",
                    issuer="https://id.gov.vn", options={"verify_exp": ttl is not None})
header = jwt.get_unverified_header(token)
assert header == {"alg": "ES256", "typ": "JWT"}, header
if ttl is not None:
    assert claims["exp"] - claims["iat"] == ttl, claims
print(claims["sub"], claims["iat"])
PY
}
SUB=001099012345
TOKEN_ARGS=(--iss https://id.gov.vn --aud ndxp-hub)
OUT=$(printf '%s\n' "$SUB" | bash "$PKI" subject-token --dir "$IDP" --sub - "${TOKEN_ARGS[@]}" 2>"$T/.stderr")
RC=$?; ERR=$(<"$T/.stderr")
if [[ $RC -eq 0 && $OUT =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$ && -z $ERR ]]; then
  pass "subject-token --sub - prints one compact JWS (a 64-byte signature, no padding)"
else
  fail "subject-token --sub - prints one compact JWS (a 64-byte signature, no padding)" "rc=$RC out=$OUT err=$ERR"
fi
V=$(jwt_check "$OUT" "$IDP/idp.pem" 300 2>&1)
if [[ $? -eq 0 && $V == "$SUB "* ]]; then pass "python3-jwt verifies the token (ES256, iss, aud, sub, exp = iat + 300)"
else fail "python3-jwt verifies the token (ES256, iss, aud, sub, exp = iat + 300)" "$V"; fi
if V=$(jwt_check "$OUT" "$T/idp2/idp.pem" 300 2>&1); then fail "another provider's key does not verify it" "$V"
else pass "another provider's key does not verify it"; fi

# Many tokens: some R or S starts with a zero byte, which DER drops.
printf '%s\n' "$SUB" >"$T/sub"
ALL_VERIFY=1
for _ in $(seq 40); do
  run_pki subject-token --dir "$IDP" --sub-file "$T/sub" "${TOKEN_ARGS[@]}" --ttl 60
  V=$(jwt_check "$OUT" "$IDP/idp.pem" 60 2>&1) || { ALL_VERIFY=0; break; }
done
if (( ALL_VERIFY )); then pass "40 tokens from --sub-file verify with python3-jwt (exp = iat + 60)"
else fail "40 tokens from --sub-file verify with python3-jwt (exp = iat + 60)" "$OUT $V $ERR"; fi

run_pki subject-token --dir "$IDP" --sub "$SUB" "${TOKEN_ARGS[@]}" --now 1000000000
V=$(jwt_check "$OUT" "$IDP/idp.pem" 2>&1)
if [[ $RC -eq 0 && $V == "$SUB 1000000000" ]]; then pass "subject-token --sub ID --now issues at that time"
else fail "subject-token --sub ID --now issues at that time" "rc=$RC err=$ERR $V"; fi

for bad in 'a"b' '' '001 099' "$(printf 'x%.0s' {1..129})"; do
  OUT=$(printf '%s\n' "$bad" | bash "$PKI" subject-token --dir "$IDP" --sub - "${TOKEN_ARGS[@]}" 2>"$T/.stderr")
  RC=$?; ERR=$(<"$T/.stderr")
  if [[ $RC -eq 2 && -z $OUT && $ERR == *"invalid subject"* && ( -z $bad || $ERR != *"$bad"* ) ]]; then
    pass "subject '${bad:0:12}' is refused (exit 2) without being shown"
  else
    fail "subject '${bad:0:12}' is refused (exit 2) without being shown" "rc=$RC out=$OUT err=$ERR"
  fi
done
run_pki subject-token --dir "$IDP" --sub "$SUB" --sub-file "$T/sub" "${TOKEN_ARGS[@]}"
if [[ $RC -eq 2 && $ERR == *"not both"* ]]; then pass "--sub and --sub-file together are refused"
else fail "--sub and --sub-file together are refused" "rc=$RC err=$ERR"; fi
for args in "--ttl 0" "--ttl 86401" "--ttl 5m" "--now yesterday"; do
  # shellcheck disable=SC2086  # the option and its value
  run_pki subject-token --dir "$IDP" --sub "$SUB" "${TOKEN_ARGS[@]}" $args
  if [[ $RC -eq 2 && -z $OUT && $ERR == *"invalid ${args%% *}"* ]]; then pass "subject-token refuses $args"
  else fail "subject-token refuses $args" "rc=$RC out=$OUT err=$ERR"; fi
done
run_pki subject-token --dir "$IDP" --sub "$SUB" --iss 'https://id"' --aud ndxp-hub
if [[ $RC -eq 2 && $ERR == *"invalid --iss"* ]]; then pass "an issuer that is no plain JSON string is refused"
else fail "an issuer that is no plain JSON string is refused" "rc=$RC err=$ERR"; fi
run_pki subject-token --dir "$T/no-idp" --sub "$SUB" "${TOKEN_ARGS[@]}"
if [[ $RC -eq 1 && -z $OUT && $ERR == *"init-idp"* ]]; then pass "subject-token without a provider key says to run init-idp"
else fail "subject-token without a provider key says to run init-idp" "rc=$RC err=$ERR"; fi

echo
echo "$PASSED passed, $FAILED failed"
(( FAILED == 0 ))
