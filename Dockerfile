# One image for both processes: `node dist/main.js` (API) and `node dist/worker.js` (worker).
# Node.js 24 LTS, as package.json's engines and CI (.ci/run, which also runs this file's build steps).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run prisma:generate && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
USER node
# The API on PORT (3000); each worker's metrics and health on WORKER_METRICS_PORT (9464).
EXPOSE 3000 9464
CMD ["node", "dist/main.js"]
