#!/usr/bin/env bash
# Provisions llama.cpp for rsf's in-process GGUF backend when no system llama.cpp exists
# (Debian 12 has none). From the npm registry, pinned by version and SHA-512:
#   @node-llama-cpp/linux-x64  prebuilt libllama/libggml and CPU back-ends (MIT)
#   node-llama-cpp             llama.cpp's source as a git bundle, for the headers (MIT)
# Result: <dest>/include/{llama.h,ggml*.h,gguf.h}, <dest>/lib/*.so (+ libllama.so and
# libggml.so links), <dest>/LICENSE. Idempotent; prints the directory. Exits non-zero (and
# leaves nothing half-made) when the registry cannot be reached; rsf then builds without
# the backend.
#
#   scripts/fetch_llama.sh [dest]   default: ${XDG_CACHE_HOME:-~/.cache}/rsf/llama-3.22.1
set -euo pipefail
version=3.22.1
bins_sha512="5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=="
src_sha512="bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw=="
dest="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/rsf/llama-$version}"

if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi
for tool in curl tar git openssl base64; do
  command -v "$tool" >/dev/null || { echo "fetch_llama: $tool is needed" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # url sha512 out
  curl -fsSL --retry 3 --connect-timeout 20 -o "$3" "$1"
  local got
  got="$(openssl dgst -sha512 -binary "$3" | base64 -w0)"
  if [ "$got" != "$2" ]; then
    echo "fetch_llama: $1: SHA-512 mismatch (got $got)" >&2
    exit 1
  fi
}
fetch "https://registry.npmjs.org/@node-llama-cpp/linux-x64/-/linux-x64-$version.tgz" "$bins_sha512" "$work/bins.tgz"
fetch "https://registry.npmjs.org/node-llama-cpp/-/node-llama-cpp-$version.tgz" "$src_sha512" "$work/src.tgz"

mkdir -p "$work/out/include" "$work/out/lib"
tar -xzf "$work/bins.tgz" -C "$work" package/bins/linux-x64 package/LICENSE
cp "$work"/package/bins/linux-x64/lib*.so "$work/out/lib/"
tar -xzf "$work/src.tgz" -C "$work" package/llama/gitRelease.bundle
git -c advice.detachedHead=false clone -q "$work/package/llama/gitRelease.bundle" "$work/src"
cp "$work/src/include/llama.h" "$work/src/ggml/include/"*.h "$work/out/include/"
cp "$work/src/LICENSE" "$work/out/LICENSE"
( cd "$work/out/lib"
  ln -sf "$(ls libllama.v*.so | head -n1)" libllama.so
  ln -sf "$(ls libggml.v*.so | head -n1)" libggml.so )
touch "$work/out/.complete"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$work/out" "$dest"
echo "$dest"
