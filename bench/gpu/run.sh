#!/usr/bin/env bash
# Runs the packed WebGPU bench (bench/gpu/pack.sh made this folder) on the GPU machine and writes its
# table to $OUT/webgpu-node.log. Arguments go to bench/gpu/webgpu-node.ts, e.g.
#   bash bench/gpu/.pack/run.sh cases=defaults,small-32 batch=256 steps=5 modes=off,on
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
log="${OUT:-/tmp}/webgpu-node.log"
# The loader only where none is installed: unpacking over a system's own libraries can break it.
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  for f in "$here"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# NVIDIA's driver folder on the device machines keeps its ICD outside the loader's search path.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES="$nvidia_icd"; fi
work="$(mktemp -d)"
gzip -dc "$here/node.gz" >"$work/node" && chmod +x "$work/node"
gzip -dc "$here/dawn.node.gz" >"$work/dawn.node"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$log"
DAWN_NODE="$work/dawn.node" "$work/node" "$here/webgpu-node.mjs" "$@" 2>&1 | tee -a "$log"
exit "${PIPESTATUS[0]}"
