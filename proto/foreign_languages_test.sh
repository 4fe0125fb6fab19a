#!/bin/sh
# Every .proto under proto/ generates Java and Go, as agencies outside C++ and
# Python will generate them: each ndxp proto names its go_package and
# java_package (Debian's protoc-gen-go refuses a file without go_package), and
# protoc accepts all of them together.
#
#   foreign_languages_test.sh PROTOC PROTOC_GEN_GO
set -eu
protoc=$1
protoc_gen_go=$2
if [ ! -x "$protoc_gen_go" ]; then
  echo "protoc-gen-go not found ($protoc_gen_go): run scripts/install-deps" >&2
  exit 1
fi
cd "$(dirname "$0")"
protos=$(find google ndxp -name '*.proto' | sort)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

missing=0
for proto in $(find ndxp -name '*.proto' | sort); do
  package=$(sed -n 's/^package \(.*\);$/\1/p' "$proto")
  for option in "go_package = \"ndxp.gov.vn/ndxp/gen/go/" \
                "java_package = \"vn.gov.$package\"" "java_multiple_files = true"; do
    if ! grep -qF "option $option" "$proto"; then
      echo "$proto: missing option $option" >&2
      missing=1
    fi
  done
done
[ "$missing" -eq 0 ]

mkdir "$out/java" "$out/go"
"$protoc" -I. --java_out="$out/java" $protos
"$protoc" -I. --plugin=protoc-gen-go="$protoc_gen_go" --go_out="$out/go" $protos
java=$(find "$out/java" -name '*.java' | wc -l)
go=$(find "$out/go" -name '*.pb.go' | wc -l)
echo "protoc: $java Java files, $go Go files from $(echo "$protos" | wc -w) protos"
[ "$go" -eq "$(echo "$protos" | wc -w)" ]
