#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubelet (the test node) and kubectl
# (the e2e suite's client) from the k8s.io/kubernetes Go module
# (staging modules replaced by their published releases), version-stamped, into the cache. Prints the bin dir.
source "$(dirname "$0")/lib.sh"
need go "apt-get install golang-go, or install Go >= 1.24 from the Go site"
KVER="${KUBE_VERSION:-1.35.4}"
SVER="0.${KVER#1.}"
MINOR="$(echo "$KVER" | cut -d. -f2)"
KEY="$KVER-$(recipe_hash "$0" "$(dirname "$0")/lib.sh")"
OUT="$KFAAS_CACHE/k8s/$KEY"
if ! is_complete "$OUT"; then
  start=$(date +%s)
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl v$KVER (cold build: 10-20 min on 2 cores)"
  WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
  cd "$WORK"
  go mod init local/k8sbin >/dev/null 2>&1
  GOMOD="$(go mod download -json "k8s.io/kubernetes@v$KVER" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -f "$GOMOD" ] || { echo "error: could not download k8s.io/kubernetes@v$KVER" >&2; exit 1; }
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/.*#\1#p' "$GOMOD"); do
    go mod edit -replace="$m=$m@v$SVER"
  done
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$KVER" "k8s.io/kubernetes/cmd/kube-controller-manager@v$KVER" \
    "k8s.io/kubernetes/cmd/kube-scheduler@v$KVER" "k8s.io/kubernetes/cmd/kubelet@v$KVER" \
    "k8s.io/kubernetes/cmd/kubectl@v$KVER" >/dev/null 2>&1
  go mod tidy >/dev/null 2>&1
  LD="-s -w -X k8s.io/component-base/version.gitVersion=v$KVER -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=v$KVER"
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/bin"
  CGO_ENABLED=0 go build -pgo=off -trimpath -buildvcs=false -ldflags "$LD" -o "$TMP/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"
  log "kubernetes binaries built in $(( $(date +%s) - start ))s"
fi
echo "$OUT/bin"
