#!/bin/sh
# Starts a small process tree (a child, and a grandchild inside a subshell), records their pids, then waits:
# shows that the watchdog kills the whole process group when exec_timeout expires. The pid file is named by
# the request header X-Pid-File (the watchdog passes it as Http_X_Pid_File); default /dev/null.
pidfile="${Http_X_Pid_File:-/dev/null}"
cat > /dev/null
sleep 300 &
echo "$!" >> "$pidfile"
( sleep 300 & echo "$!" >> "$pidfile"; wait ) &
echo "$!" >> "$pidfile"
echo "$$" >> "$pidfile"
wait
