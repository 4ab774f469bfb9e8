#!/bin/sh
# Always fails: every attempt exits non-zero, so an async call ends in the dead-letter queue.
cat > /dev/null
echo "always-fail: this function never succeeds" >&2
exit 1
