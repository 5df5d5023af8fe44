# syntax=docker/dockerfile:1
#
# idsync container image.
#
#   docker build -t idsync .
#   docker run -d --name idsync -p 8080:8080 -v idsync-data:/data idsync
#   docker exec idsync idsync orgs create --name Acme --json
#
# Stages: `toolchain` (Node plus what better-sqlite3's native addon needs), `deps` (production
# node_modules only), `build` (compiles TypeScript to dist/), and the runtime on the slim image, which
# receives nothing but node_modules from `deps`, dist/ from `build`, bin/ and package.json.
# Build stages and runtime share one Node major and one Debian release, so the addon's ABI and glibc
# match.

ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /src
COPY package.json package-lock.json ./

# --ignore-scripts everywhere: the project's own `prepare` script compiles src/, which these layers
# do not have. The one dependency whose install script matters (better-sqlite3 downloads a prebuilt
# addon or compiles it with the toolchain) is rebuilt explicitly; of its 28 MB only the 2 MB addon
# is needed at run time.
FROM toolchain AS deps
RUN npm ci --omit=dev --ignore-scripts \
 && npm rebuild better-sqlite3 \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

FROM toolchain AS build
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="idsync" \
      org.opencontainers.image.description="Identity-sync daemon: SCIM 2.0 server, directory reconciler and membership authority" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE_URL}"

# tini is PID 1: it forwards SIGTERM to node (idsync drains requests on it) and reaps zombies.
# npm, npx, yarn and corepack are not needed at run time; removing them shrinks the image and its
# CVE surface. The data directory belongs to the numeric non-root user and nobody else.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/yarn /usr/local/bin/yarnpkg /usr/local/bin/corepack \
 && groupadd --gid 10001 idsync \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin idsync \
 && mkdir -p /data \
 && chown 10001:10001 /data \
 && chmod 0700 /data

WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN chmod 0755 /app/bin/idsync.js \
 && ln -s /app/bin/idsync.js /usr/local/bin/idsync

# The app writes only to IDSYNC_DATA_DIR (/data) and the OS temp dir (/tmp), so the container runs
# with a read-only root filesystem.
ENV NODE_ENV=production \
    IDSYNC_DATA_DIR=/data \
    IDSYNC_HOST=0.0.0.0 \
    IDSYNC_PORT=8080
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001

# No curl in the slim image: Node's own fetch asks /healthz on the configured port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.IDSYNC_PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# `docker run IMAGE` serves; `docker run IMAGE orgs create --name Acme` runs any CLI command.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/idsync"]
CMD ["serve"]
