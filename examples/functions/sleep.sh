#!/bin/sh
# Sleeps for the number of seconds in the request body (default 2), then answers: shows exec_timeout.
seconds=$(tr -dc '0-9.')
sleep "${seconds:-2}"
echo "slept ${seconds:-2}s"
