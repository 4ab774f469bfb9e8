#!/usr/bin/env bash
# Builds the kfaas OCI images without a container engine (umoci) and prints the directory holding them:
#   kfaas.tar     the platform image: Node, tini, dist/ and the production node_modules; the Dockerfile's contract
#                 (ENTRYPOINT tini -- kfaas, user 1000:1000, WORKDIR /app, ports 8080-8082)
#   function.tar  examples/function-image on top of it (ENTRYPOINT tini -- kfaas watchdog), plus the example handlers
#   pause.tar     the pod sandbox image (test-infra/pause)
#   refs          one "<file> <image reference>" line per image, for `ctr images import --base-name`
# The Dockerfile stays the recipe for users with Docker; this script packs the same layout from this machine's
# Node runtime. Needs `make build` first. Cached by a hash of every input, so an unchanged tree costs a hash.
source "$(dirname "$0")/lib.sh"
need umoci "apt-get install umoci (or run scripts/node-deps.sh)"
cd "$REPO_ROOT"
[ -f dist/cli/main.js ] || { echo "error: dist/ is missing; run \`make build\` first" >&2; exit 1; }
NODE_BIN="$(readlink -f "$(command -v node)")"
PAUSE_DIR="$(bash "$REPO_ROOT/scripts/pause-bin.sh")"
TINI=/usr/bin/tini-static
BUSYBOX=/bin/busybox
for f in "$TINI" "$BUSYBOX"; do [ -x "$f" ] || { echo "error: $f is missing (run scripts/node-deps.sh)" >&2; exit 1; }; done
# Every compiled folder but the tests' and the benchmarks', as the Dockerfile copies all of dist/: a fixed list
# would silently miss the next new folder.
APP_DIRS=()
for d in dist/*/; do
  d="$(basename "$d")"
  case "$d" in test|bench) ;; *) APP_DIRS+=("$d") ;; esac
done

# The key covers the compiled app, the dependency lock, the Node binary and this recipe. Not the watchdog's V8
# code cache, whose bytes differ from build to build: it is tied to the bundle (in the key) and to the Node
# binary (in the key), so an image built from an equal bundle carries an equally valid cache.
KEY="$( { sha256sum "$0" package.json package-lock.json "$NODE_BIN" "$PAUSE_DIR/pause" \
  examples/function-image/handler.mjs; find "${APP_DIRS[@]/#/dist/}" examples/functions -type f ! -name '*.cjs.cache' -print0 | sort -z \
  | xargs -0 sha256sum; } | sha256sum | cut -c1-12)"
OUT="$KFAAS_CACHE/images/$KEY"
TAG="dev-$KEY"
if ! is_complete "$OUT"; then
  start=$(date +%s)
  WORK="$(mktemp -d)"; TMP="$OUT.tmp.$$"
  trap 'rm -rf "$WORK" "$TMP"' EXIT
  rm -rf "$TMP"; mkdir -p "$TMP"

  # new_image LAYOUT: an empty image tagged $TAG, unpacked into LAYOUT.bundle (prints the rootfs path).
  new_image() { umoci init --layout "$1" && umoci new --image "$1:$TAG" && umoci unpack --image "$1:$TAG" "$1.bundle" >/dev/null; }
  # export_image LAYOUT FILE REF: tar the layout for `ctr images import`, and record the reference it gets.
  export_image() { tar -C "$1" -cf "$TMP/$2" . && echo "$2 $3" >>"$TMP/refs"; }

  # --- the platform image ---
  L="$WORK/kfaas"; new_image "$L"; R="$L.bundle/rootfs"
  mkdir -p "$R/usr/bin" "$R/usr/local/bin" "$R/bin" "$R/app" "$R/tmp" "$R/etc" "$R/home/node"
  chmod 1777 "$R/tmp"
  # Node and the shared libraries it (and better-sqlite3's addon) loads, at their own paths.
  cp "$NODE_BIN" "$R/usr/bin/node"
  for lib in $(ldd "$NODE_BIN" | awk '/=>/ {print $3} /^\t\/lib/ {print $1}'); do
    mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"
  done
  cp "$TINI" "$R/usr/bin/tini"
  # busybox gives the image /usr/bin/env (the kfaas shebang) and a shell for `kubectl exec`.
  cp "$BUSYBOX" "$R/bin/busybox"
  for applet in $("$BUSYBOX" --list); do [ -e "$R/bin/$applet" ] || ln -s busybox "$R/bin/$applet"; done
  ln -s /bin/busybox "$R/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' >"$R/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$R/etc/group"
  chown 1000:1000 "$R/home/node"
  # The app: package.json, dist/ (without tests and benchmarks) and the production dependencies.
  cp package.json "$R/app/"
  mkdir -p "$R/app/dist"
  for d in "${APP_DIRS[@]}"; do cp -r "dist/$d" "$R/app/dist/"; done
  mkdir "$WORK/deps"; cp package.json package-lock.json "$WORK/deps/"; cp -al node_modules "$WORK/deps/node_modules"
  (cd "$WORK/deps" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null 2>&1)
  cp -a "$WORK/deps/node_modules" "$R/app/node_modules"
  chmod +x "$R/app/dist/cli/main.js" "$R/app/dist/cli/kfaas.cjs"
  ln -s /app/dist/cli/kfaas.cjs "$R/usr/local/bin/kfaas"
  umoci repack --image "$L:$TAG" "$L.bundle"
  umoci config --image "$L:$TAG" --config.user 1000:1000 --config.workingdir /app \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env NODE_ENV=production \
    --config.exposedports 8080/tcp --config.exposedports 8081/tcp --config.exposedports 8082/tcp \
    --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.entrypoint kfaas --config.cmd --help \
    --author kfaas --history.comment "kfaas platform image (scripts/images.sh)"
  umoci gc --layout "$L"
  export_image "$L" kfaas.tar "localhost/kfaas:$TAG"

  # --- the example function image: the platform image plus a handler layer ---
  F="$WORK/function"; cp -a "$L" "$F"; rm -rf "$F.bundle"
  umoci unpack --image "$F:$TAG" "$F.bundle" >/dev/null; R="$F.bundle/rootfs"
  mkdir -p "$R/home/app/functions"
  cp examples/function-image/handler.mjs "$R/home/app/handler.mjs"
  cp examples/functions/* "$R/home/app/functions/"
  umoci repack --image "$F:$TAG" "$F.bundle"
  umoci config --image "$F:$TAG" --config.workingdir /home/app \
    --config.env 'fprocess=node /home/app/handler.mjs' --config.env mode=fork --config.env read_timeout=10s \
    --config.env write_timeout=10s --config.env exec_timeout=10s --config.env bind_address=0.0.0.0 \
    --clear=config.entrypoint --config.entrypoint /usr/bin/tini --config.entrypoint -- --config.entrypoint kfaas \
    --config.entrypoint watchdog --clear=config.cmd --history.comment "example function (scripts/images.sh)"
  umoci gc --layout "$F"
  export_image "$F" function.tar "localhost/kfaas-function:$TAG"

  # --- the pod sandbox image ---
  P="$WORK/pause"; new_image "$P"; cp "$PAUSE_DIR/pause" "$P.bundle/rootfs/pause"
  umoci repack --image "$P:$TAG" "$P.bundle"
  umoci config --image "$P:$TAG" --config.entrypoint /pause --config.user 65535:65535
  export_image "$P" pause.tar "localhost/kfaas-pause:$TAG"

  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"
  log "images built in $(( $(date +%s) - start ))s ($(du -sh "$OUT" | cut -f1))"
fi
echo "$OUT"
