#!/usr/bin/env bash
# Packs the WebGPU-in-Node bench (bench/gpu/webgpu-node.ts) for a GPU machine that has neither Node
# nor a network: the bench bundled with TF.js into one file, Node itself, Dawn's dawn.node from the
# `webgpu` npm package, and the Vulkan loader's Debian packages, all under bench/gpu/.pack (git
# ignores it; the device tool carries it). Run here, where npm and apt reach their registries:
#   bash bench/gpu/pack.sh
# then on the GPU machine (bench/gpu/README.md): bash bench/gpu/.pack/run.sh [cases=…] [batch=…]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/gpu/.pack
rm -rf "$out"
mkdir -p "$out/gl"

# The bench and every module it imports, TF.js and its WebGPU backend included, as one ES module.
npx esbuild bench/gpu/webgpu-node.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --outfile="$out/webgpu-node.mjs"

# Dawn's Node binding (a pinned release of the `webgpu` package: Dawn's own build of WebGPU).
(cd "$out" && npm pack webgpu@0.6.2 --silent >/dev/null && tar -xzf webgpu-0.6.2.tgz package/dist/linux-x64/dawn.node &&
  gzip -c package/dist/linux-x64/dawn.node >dawn.node.gz && rm -rf package webgpu-0.6.2.tgz)

# This machine's Node (x86-64, as the GPU machine's processor), compressed to fit the carry limit.
gzip -c "$(command -v node)" >"$out/node.gz"

# The Vulkan loader, in case the GPU machine has none (the device tool's README, "Headless rendering").
if command -v apt-get >/dev/null; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64-lists'
  mkdir -p /tmp/amd64-lists/partial
  # shellcheck disable=SC2086
  apt-get $o update -qq >/dev/null && (cd "$out/gl" && apt-get $o download -qq libvulkan1 >/dev/null) || echo "no Vulkan loader packed (apt-get failed)"
fi

cp bench/gpu/run.sh "$out/run.sh"
du -sh "$out" "$out"/*
