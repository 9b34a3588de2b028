# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript.
# Node 20 LTS, as in package.json engines, @types/node and CI (.ci/run checks the major).
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled code and production dependencies only, as an unprivileged user.
FROM ${NODE_IMAGE} AS runtime
# HOST: inside a container the port must be reachable from outside it (the default is loopback).
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# The sandbox's sample directory and the example workbook, for the compose `sandbox` profile.
COPY --from=build --chown=node:node /app/src/demo/fixtures ./dist/src/demo/fixtures
COPY --chown=node:node examples ./examples
# Spreadsheets to import are mounted here (compose volume `sheets`): docker compose exec bot node dist/src/cli.js import /data/sheets/清单.xlsx --dry-run
RUN mkdir -p /data/sheets && chown node:node /data/sheets
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Apply migrations, then serve (the service also checks it is up to date at start).
CMD ["sh", "-c", "node dist/src/cli.js migrate && exec node dist/src/main.js"]
