# One image for every UMP service; docker-compose picks the entry point per service.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production LOG_FORMAT=json
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY core/package.json core/
COPY prisma/package.json prisma/
COPY prisma/scripts prisma/scripts
COPY prisma/schema prisma/schema
COPY prisma/prisma.config.ts prisma/
COPY schema/package.json schema/
# Every workspace's package.json, so npm ci links each of them (a missing one would leave
# its @ump/* import unresolved at run time).
COPY subgraphs/tenant/package.json subgraphs/tenant/
COPY subgraphs/device/package.json subgraphs/device/
COPY subgraphs/alert/package.json subgraphs/alert/
COPY subgraphs/ota/package.json subgraphs/ota/
COPY subgraphs/analytics/package.json subgraphs/analytics/
COPY gateway/package.json gateway/
COPY ingest/package.json ingest/
RUN npm ci --no-audit --no-fund
COPY . .
USER node
EXPOSE 4000
CMD ["npx", "tsx", "gateway/src/main.ts"]
