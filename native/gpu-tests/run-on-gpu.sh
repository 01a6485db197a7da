#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, after ../shared/scripts/gpu-bundle on
# the development machine and with .gpu carried (see native/README.md "GPU"):
#   tar -xJf .gpu/node.tar.xz -C /tmp && export PATH=/tmp/node-bin:$PATH && cp .gpu/*.node native/ && bash native/gpu-tests/run-on-gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
node -e 'import("./index.js").then((n) => console.log(JSON.stringify(n.devices())))'
node --test --test-concurrency=1 test/kernels.test.mjs gpu-tests/cuda.test.mjs
