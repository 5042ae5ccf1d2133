# syntax=docker/dockerfile:1

# Build stage: compiles better-sqlite3 from source (no prebuilt binary is downloaded).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# npm's `prepare` runs bin/compiled.js, which has nothing to compile before the sources are copied.
COPY bin ./bin
RUN npm ci --omit=dev

# Runtime stage: python3 stays so generated code can be checked with `python3 -m py_compile`.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    OPFORGE_DB=/data/opforge.db \
    PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY app.yml ./
# The CLI's compiled copy (what `prepare` makes on npm ci), made here where the sources are; the runtime user
# only reads it.
RUN node bin/compiled.js && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then(r => process.exit(r.ok ? 0 : 1)).catch(() => process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/server.ts"]
