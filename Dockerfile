# CityOps Gateway. No build step: the TypeScript runs through tsx, a production dependency
# (see bin/cityops.js).
FROM node:20-bookworm-slim

ENV NODE_ENV=production
# A larger young generation: ingest allocates many short-lived objects, and the default 16 MiB
# semi-space made garbage collection 20 % of the gateway's time (docs/benchmarks.md).
ENV NODE_OPTIONS=--max-semi-space-size=64
WORKDIR /app

# Dependencies first, so this layer is rebuilt only when the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The source stays owned by root: the service user can read it but not change it.
COPY . .

# Created here and owned by the service user, so a new named volume starts with that owner.
RUN mkdir -p /data && chown node:node /data
ENV CITYOPS_DATA_DIR=/data
VOLUME /data

# `node` (uid 1000) comes with the base image.
USER node

# HTTP API + MQTT over WebSocket at /mqtt; MQTT over TCP.
EXPOSE 8080 1883

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CITYOPS_HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node gets SIGTERM directly and shuts down cleanly (gateway/cli/start.ts).
CMD ["node", "bin/cityops.js", "start"]
