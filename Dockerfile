# syntax=docker/dockerfile:1
# Countersign: one image for every role; the command picks it (`node bin/countersign.js api|worker|migrate|...`).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: the lockfile is written on one platform and `npm ci` refuses when optional
# platform binaries of another platform are missing from it.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The whole built tree (dist/, bin/, taxonomy/, the web app's build, production node_modules), owned by root
# so the unprivileged process cannot rewrite its own code.
COPY --from=build /app /app
USER node
EXPOSE 3000
CMD ["node", "bin/countersign.js", "api"]
