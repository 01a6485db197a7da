# Open-AutoGLM agent: registers the node and runs leased trials on its GPUs. CUDA comes from
# the runtime base image (@autoglm/native loads the driver, NVRTC and cuBLASLt of CUDA 13 at
# run time), Node from the official Node image; the same image runs on CPU-only nodes.
# Build from the repository root:  docker build -f infra/docker/agent.Dockerfile -t open-autoglm/agent .
# The runtime keeps the repository's layout under /app, so the contract test (tests/infra)
# runs this image's ENTRYPOINT and CMD in the local checkout with /app mapped to the repository root.

FROM rust:1.95-slim-bookworm AS rust

FROM node:20-bookworm-slim AS node

FROM node:20-bookworm AS build
COPY --from=rust /usr/local/cargo /usr/local/cargo
COPY --from=rust /usr/local/rustup /usr/local/rustup
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH CI=true
RUN npm install -g pnpm@9.15.9
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile --filter "@autoglm/agent..." \
 && pnpm --filter "@autoglm/agent..." run build
RUN rm -rf node_modules apps/*/node_modules packages/*/node_modules native/node_modules tooling/*/node_modules tests/*/node_modules native/target \
 && pnpm install --frozen-lockfile --prod --offline --filter "@autoglm/agent..."

FROM nvidia/cuda:13.0.0-runtime-ubuntu24.04
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# python3: trial commands are mostly Python (packages/agent/python/autoglm_report.py is stdlib only).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Trials run as the agent's own user: never root (S8).
RUN groupadd --gid 10002 autoglm \
 && useradd --uid 10002 --gid 10002 --create-home autoglm \
 && mkdir -p /var/lib/autoglm-agent \
 && chown autoglm:autoglm /var/lib/autoglm-agent
COPY --from=build /src /app
WORKDIR /app/packages/agent
ENV NODE_ENV=production
USER 10002
# tini as PID 1: a trial command's processes that outlive their shell are reparented to PID 1,
# and Node as PID 1 would never reap them (zombies pile up over thousands of trials).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
# The server comes from --server or AUTOGLM_SERVER, the token from AUTOGLM_TOKEN (never argv).
CMD ["--work-dir", "/var/lib/autoglm-agent"]
