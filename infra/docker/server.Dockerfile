# Open-AutoGLM server: Next.js dashboard + tRPC + Socket.IO + scheduler on one port.
# Build from the repository root:  docker build -f infra/docker/server.Dockerfile -t open-autoglm/server .
# The runtime keeps the repository's layout under /app (the server finds the dashboard at
# ../web from its own directory), so the contract test (tests/infra) runs this image's
# ENTRYPOINT and CMD in the local checkout with /app mapped to the repository root.

# The Rust toolchain for @autoglm/native (the server depends on it through the local agent).
FROM rust:1.95-slim-bookworm AS rust

FROM node:20-bookworm AS build
COPY --from=rust /usr/local/cargo /usr/local/cargo
COPY --from=rust /usr/local/rustup /usr/local/rustup
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH CI=true
RUN npm install -g pnpm@9.15.9
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile --filter "@autoglm/server..." \
 && pnpm --filter "@autoglm/server..." run build
# Production dependencies only, from the store the first install filled; no Rust build output.
RUN rm -rf node_modules apps/*/node_modules packages/*/node_modules native/node_modules tooling/*/node_modules tests/*/node_modules native/target \
 && pnpm install --frozen-lockfile --prod --offline --filter "@autoglm/server..."

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 autoglm \
 && useradd --uid 10001 --gid 10001 --create-home autoglm \
 && mkdir -p /data \
 && chown autoglm:autoglm /data \
 && chmod 0700 /data
COPY --from=build /src /app
# Next.js writes its runtime cache (fetch, images) under the dashboard's build output.
RUN mkdir -p /app/apps/web/.next/cache \
 && chown autoglm:autoglm /app/apps/web/.next/cache
WORKDIR /app/apps/server
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 AUTOGLM_DATA_DIR=/data
USER 10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini as PID 1 forwards SIGTERM to Node and reaps what it leaves behind.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
