# coalition-desk: the service image. TypeScript runs through tsx (a runtime
# dependency), so there is no build step to forget.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY config ./config
COPY src ./src
COPY workers ./workers
COPY templates ./templates
USER node
ENTRYPOINT ["node", "bin/coalition.js"]
CMD ["start"]
