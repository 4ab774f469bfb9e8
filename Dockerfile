# syntax=docker/dockerfile:1
# One image for every kfaas process: the container runs `kfaas <subcommand>` (gateway, worker, operator,
# watchdog). Build:  docker build -t kfaas/kfaas:0.1.0 .
# The base is the Node LTS line that better-sqlite3 12 supports (20.x-25.x), pinned by full tag; pin the digest
# too (`node:24.21.0-trixie-slim@sha256:...`, from `docker buildx imagetools inspect node:24.21.0-trixie-slim`) in a
# release pipeline. docs/dependency-audit.md records when these pins were last checked.
ARG NODE_IMAGE=node:24.21.0-trixie-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 (the embedded queue of `kfaas up`) compiles its native addon when no prebuilt binary matches.
# Package versions are pinned to Debian trixie's (the same on amd64 and arm64); a base image on another Debian
# release needs them updated: `apt-cache policy python3 make g++ tini` inside it lists the candidates.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3=3.13.5-1 make=4.4.1-2 g++=4:14.2.0-1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a source change reuses the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
# tini is PID 1: it forwards SIGTERM to kfaas (so the drain runs) and reaps the orphans of forked handlers,
# which Node as PID 1 would leave as zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-3+b8 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# Root owns the application files, so the non-root process cannot rewrite its own code.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/cli/kfaas.cjs /usr/local/bin/kfaas
# The `node` user of the base image, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# 8080: gateway and watchdog HTTP; 8081: watchdog metrics; 8082: gateway metrics.
EXPOSE 8080 8081 8082
ENTRYPOINT ["/usr/bin/tini", "--", "kfaas"]
CMD ["--help"]
