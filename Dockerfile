# syntax=docker/dockerfile:1
# Hourglass image: `docker build -t hourglass .`, then `docker run hourglass scorer --config /etc/hourglass.yaml`
# (or ingest, trainer, doctor, ...). See docs/native-backend.md, section "Docker".
#
# Stage 1 (build) installs dependencies with scripts ignored (.npmrc), builds the native TensorFlow
# backend exactly as on a developer machine (scripts/native-backend.mjs: tensorflow-cpu wheel from
# PyPI -> C library + headers -> node-gyp addon -> verification) and compiles the TypeScript.
# Stage 2 (runtime) is node:20-bookworm-slim with node_modules (addon and TensorFlow's .so files
# included as real files), the workspaces' dist/ folders, and nothing else.
# Pin an exact Node release for reproducible images, e.g. --build-arg NODE_VERSION=20.19.5; both
# stages use the same one (the addon is N-API, but the backend's build stamp records the version).
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
# The full bookworm image already has python3, g++, make and binutils; pip is what it lacks
# (it is only used for `pip download`, which PEP 668's externally-managed marker does not block).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip g++ make binutils golang-go \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The wheel cache (~1 GB once unpacked) lives inside this stage, on the same filesystem as
# node_modules, so the staging step hard-links (or copies) real files; the runtime stage never sees it.
ENV XDG_CACHE_HOME=/build-cache \
    TF_CPP_MIN_LOG_LEVEL=2 \
    npm_config_update_notifier=false

# Dependencies first (cached layer while only sources change). npm ci needs every workspace manifest.
COPY package.json package-lock.json .npmrc ./
COPY shared/otlp-proto/package.json shared/otlp-proto/
COPY shared/core/package.json shared/core/
COPY shared/runtime/package.json shared/runtime/
COPY shared/kafka/package.json shared/kafka/
COPY shared/redis/package.json shared/redis/
COPY shared/model/package.json shared/model/
COPY shared/eval/package.json shared/eval/
COPY shared/pipeline/package.json shared/pipeline/
COPY services/ingest/package.json services/ingest/
COPY services/scorer/package.json services/scorer/
COPY services/trainer/package.json services/trainer/
COPY services/incidents/package.json services/incidents/
COPY services/cli/package.json services/cli/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund

# The native backend: the same script, the same steps, the same checks as `npm run setup` here.
# node-gyp is npm's bundled copy (/usr/local/lib/node_modules/npm/...), the Node headers come from
# the official tarball layout (/usr/local/include/node), found by the script's own lookup.
COPY scripts/ scripts/
RUN test -f /usr/local/include/node/node_api.h \
 && node scripts/native-backend.mjs

# TypeScript.
COPY tsconfig.json tsconfig.base.json ./
COPY shared/ shared/
COPY services/ services/
COPY test/ test/
# The OTLP decoders: generated from the official .proto files (Go module proxy), as on a developer machine.
RUN node scripts/otlp-proto.mjs \
 && npx tsc -b

# What the runtime needs: production dependencies only, no headers, no build tree. The backend is
# loaded once more after pruning, so a prune that broke it fails the build here. deps/lib holds hard
# links into /build-cache; `cp -a` copies their contents, so /out has real .so files (checked by size).
RUN set -eu; \
    npm prune --omit=dev --no-audit --no-fund; \
    rm -rf node_modules/@tensorflow/tfjs-node/deps/include node_modules/@tensorflow/tfjs-node/build; \
    node -e "const tf = require('@tensorflow/tfjs-node'); if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend()); console.log('native backend: TensorFlow', tf.backend().binding.TF_Version)"; \
    mkdir -p /out; \
    cp -a package.json node_modules /out/; \
    for ws in shared/core shared/runtime shared/kafka shared/redis shared/model shared/eval shared/pipeline \
              services/ingest services/scorer services/trainer services/incidents services/cli; do \
      mkdir -p "/out/$ws"; \
      cp -a "$ws/package.json" "$ws/dist" "/out/$ws/"; \
      for extra in node_modules bin; do if [ -e "$ws/$extra" ]; then cp -a "$ws/$extra" "/out/$ws/"; fi; done; \
    done; \
    mkdir -p /out/shared/otlp-proto && cp -a shared/otlp-proto/package.json shared/otlp-proto/generated /out/shared/otlp-proto/; \
    rm -f /out/node_modules/@hourglass/test; \
    lib=/out/node_modules/@tensorflow/tfjs-node/deps/lib; \
    test "$(stat -c %s "$lib/libtensorflow_cc.so.2")" -gt 100000000; \
    test "$(stat -c %s "$lib/libtensorflow_framework.so.2")" -gt 10000000; \
    test "$(readlink "$lib/libtensorflow.so")" = libtensorflow_cc.so.2

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOURGLASS_REQUIRE_NATIVE=1 \
    TF_CPP_MIN_LOG_LEVEL=2
# node_modules keeps its relative symlinks (workspace packages, libtensorflow.so -> libtensorflow_cc.so.2).
COPY --from=build /out/ /app/
COPY scripts/native-backend/verify.cjs scripts/native-backend/verify.cjs
# Fails the build if TensorFlow's libraries did not land in this image or do not load on slim.
RUN node scripts/native-backend/verify.cjs
# Files stay root-owned (read-only for the service); the service runs as the image's `node` user.
USER node
# Health is probed over HTTP (/healthz, /readyz on the ops port) by compose or Kubernetes, not here.
ENTRYPOINT ["node", "services/cli/dist/main.js"]
CMD ["--help"]
