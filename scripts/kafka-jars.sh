#!/usr/bin/env bash
# Collects the Kafka broker's runtime jars from Maven Central into the cache (never into the repo) with the
# standalone pom in test-infra/kafka, and prints the lib directory.
source "$(dirname "$0")/lib.sh"
need java "apt-get install openjdk-17-jre-headless (Java 17+)"
need mvn "apt-get install maven"
POM="$REPO_ROOT/test-infra/kafka/pom.xml"
# The pom holds the pinned version; KAFKA_VERSION overrides it for a smoke run against another release.
POM_VERSION="$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$POM")"
KAFKA_VERSION="${KAFKA_VERSION:-$POM_VERSION}"
KEY="$KAFKA_VERSION-$(recipe_hash "$0" "$POM")"
OUT="$KFAAS_CACHE/kafka/$KEY"
if ! is_complete "$OUT"; then
  start=$(date +%s)
  log "collecting Kafka $KAFKA_VERSION jars with Maven (cold: downloads ~60 jars, ~15 s)"
  TMP="$OUT.tmp.$$"; rm -rf "$TMP"; mkdir -p "$TMP/lib"
  trap 'rm -rf "$TMP"' EXIT
  # -o (offline) would be faster once ~/.m2 is warm, but a fresh machine needs the download.
  mvn -B -q -Dstyle.color=never -f "$POM" package -Dkafka.version="$KAFKA_VERSION" -Dkafka.lib="$TMP/lib" \
    -Dproject.build.directory="$TMP/target" >&2
  rm -rf "$REPO_ROOT/test-infra/kafka/target"
  for cls in kafka/Kafka.class kafka/tools/StorageTool.class; do
    if command -v unzip >/dev/null 2>&1 && ! unzip -l "$TMP/lib/kafka_2.13-$KAFKA_VERSION.jar" "$cls" >/dev/null 2>&1; then
      echo "error: $cls missing from kafka_2.13-$KAFKA_VERSION.jar in $TMP/lib" >&2; exit 1
    fi
  done
  echo "$KAFKA_VERSION" > "$TMP/version"
  touch "$TMP/.complete"; rm -rf "$OUT"; mkdir -p "$(dirname "$OUT")"; mv "$TMP" "$OUT"; trap - EXIT
  log "Kafka jars collected in $(( $(date +%s) - start ))s ($(ls "$OUT/lib" | wc -l) jars)"
fi
echo "$OUT/lib"
