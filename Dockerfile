# syntax=docker/dockerfile:1
#
# One image for the API, the worker and the one-shot migration; only the command differs:
#   docker build -t order-orchestrator .
#   docker run ... order-orchestrator                                   # the API (default)
#   docker run ... order-orchestrator node --require ./activities/workflow-thread-preload.cjs --import tsx activities/worker.ts
#   docker run ... order-orchestrator npm run migrate
# Configuration is environment only (runtime/config.ts); see docs/deployment.md.
#
# There is no build step: tsx runs the TypeScript sources, and the worker bundles workflows/
# with webpack when it starts, so the image carries the sources and node_modules.
# Debian (glibc), not Alpine: @temporalio/core-bridge ships prebuilt binaries for
# x86_64/aarch64 linux-gnu only.
#
# Written from the node image's documentation; it could not be built on the development
# machines (they have no Docker engine).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- dependencies -----------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# Production dependencies only; tsx is one of them. Install scripts run: node 20 ships
# npm 10, which ignores package.json "allowScripts" (a newer npm's approval list) and runs
# them as usual. They only check or link prebuilt binaries; nothing is compiled.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev

# ---- runtime ----------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    PORT=3000

# Owned by root and read-only for the `node` user that runs the processes; they write only
# to /tmp (tsx's transform cache) and ~/.npm (npm's logs).
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY api ./api
COPY activities ./activities
COPY workflows ./workflows
COPY domain ./domain
COPY db ./db
COPY runtime ./runtime
COPY scripts ./scripts

USER node
EXPOSE 3000

# Readiness of the default command (the API): 200 only while PostgreSQL and Temporal answer.
# docker-compose.yml replaces it for the worker and disables it for the one-shot jobs.
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=4 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/ready',{signal:AbortSignal.timeout(4000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# `npm run api` runs `tsx api/server.ts`; this is the same thing without npm and its shell
# in between, because npm does not pass SIGTERM on to the script: with it, `docker stop`
# would kill the API without its graceful shutdown.
CMD ["node", "--import", "tsx", "api/server.ts"]
