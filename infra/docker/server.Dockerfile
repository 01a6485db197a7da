# Open-AutoGLM server: Next.js dashboard + tRPC + Socket.IO + scheduler on one port.
# Build from the repository root:  docker build -f infra/docker/server.Dockerfile -t open-autoglm/server .
FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN npm install -g pnpm@9.15.9
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm exec turbo run build --filter=@autoglm/server... \
 && pnpm deploy --filter=@autoglm/server --prod /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 AUTOGLM_DATA_DIR=/data
WORKDIR /app
COPY --from=build /out /app
COPY --from=build /src/apps/web/.next /app/node_modules/@autoglm/web/.next
RUN useradd --uid 10001 --create-home autoglm && mkdir -p /data && chown autoglm /data
USER 10001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/main.js"]
