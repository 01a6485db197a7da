# Open-AutoGLM GPU agent. Runs trials on the node's GPUs; the CUDA libraries come from the
# base image (the native module loads them at run time, so the same image runs on CPU nodes).
# Build from the repository root:  docker build -f infra/docker/agent.Dockerfile -t open-autoglm/agent .
FROM node:20-bookworm AS build
WORKDIR /src
RUN npm install -g pnpm@9.15.9 && curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
ENV PATH=/root/.cargo/bin:$PATH
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm exec turbo run build --filter=@autoglm/agent... \
 && pnpm deploy --filter=@autoglm/agent --prod /out

FROM nvidia/cuda:13.0.0-runtime-ubuntu24.04
RUN apt-get update && apt-get install -y --no-install-recommends nodejs python3 tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out /app
# Trials run as this unprivileged user even if the agent is started as root (S8).
RUN useradd --uid 10002 --create-home trial
# tini as PID 1: a trial command's processes that outlive their shell are reparented to PID 1,
# and Node as PID 1 would never reap them (zombies pile up over thousands of trials).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/cli.js"]
CMD ["--server", "http://open-autoglm:3000"]
