# The daemon's image, for the docker compose trial (docker-compose.yml) or a deployment of your own.
# Build stage: compiles TypeScript and better-sqlite3 (the full image has python3, make and g++ in
# case no prebuilt binary can be downloaded), then drops the dev dependencies.
FROM node:20.19.5-bookworm AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# npm ci runs the prepare script, which builds dist/.
RUN npm ci && npm prune --omit=dev

# Run stage: the built daemon only, as the unprivileged user "node" (uid 1000).
FROM node:20.19.5-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist/src ./dist/src
COPY migrations ./migrations
COPY templates ./templates
COPY config ./config
# The data directory: mount a volume here (the database and the lock file live in it).
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
# exec form: node is pid 1 and gets SIGTERM from "docker stop" itself. The V8 flags are those of
# package.json's start script (docs/operator-guide.md, Running under systemd).
ENTRYPOINT ["node", "--max-semi-space-size=8", "--max-old-space-size=128", "dist/src/cli.js"]
CMD ["run"]
