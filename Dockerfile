# syntax=docker/dockerfile:1
# The c360 gateway as a container image (docs/deploy.md). Two stages: `build`
# installs every dependency and compiles the server and the web pages;
# the runtime stage holds production dependencies, the compiled JavaScript
# and the files the server reads at run time, and runs as a non-root user.
# Node.js 24 LTS, the version pinned in .node-version (test/container-image.test.ts
# keeps the two equal; older Node.js lines are past their end of life).
ARG NODE_VERSION=24.22.3

FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# npm ci applies patches/ to the dependencies it installs (patch-package, package.json's postinstall).
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json vite.config.ts ./
COPY types ./types
COPY src ./src
COPY connectors ./connectors
COPY resolvers ./resolvers
COPY scripts ./scripts
COPY web ./web
RUN npm run build

FROM node:${NODE_VERSION}-trixie-slim
# tini as PID 1 hands SIGTERM to node, which drains requests in flight, and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Demo mode by default, like `npm start`: embedded DynamoDB (dynalite) with its
# data under /var/lib/c360, demo data and demo keys. Setting
# C360_DYNAMODB_ENDPOINT (and the other sources' variables) turns it into the
# production gateway, with demo mode off (docs/deploy.md).
ENV NODE_ENV=production \
    C360_HOST=0.0.0.0 \
    C360_PORT=4000 \
    C360_DATA_DIR=/var/lib/c360
COPY package.json package-lock.json .npmrc ./
# npm ci applies patches/ to the dependencies it installs (patch-package, package.json's postinstall).
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY config ./config
COPY schema ./schema
# The node user of the base image, by number so that Kubernetes' runAsNonRoot can verify it.
RUN mkdir -p /var/lib/c360 && chown 1000:1000 /var/lib/c360
USER 1000:1000
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.C360_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
