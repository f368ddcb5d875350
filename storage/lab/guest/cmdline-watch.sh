#!/bin/sh
# Sweeps every process's command line for the text of the file $1 (the node's CHAP secret) until
# /tmp/stop-cmdline-watch exists. A hit is written as "pid program" to /tmp/cmdline-hits, never the command line
# itself (which would hold the secret); /tmp/cmdline-sweeps counts the sweeps so the host sees that it watched.
secret_file=$1
: >/tmp/cmdline-hits
n=0
while [ ! -e /tmp/stop-cmdline-watch ]; do
	grep -laF -f "$secret_file" /proc/[0-9]*/cmdline 2>/dev/null | while IFS= read -r f; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		comm=$(cat "/proc/$pid/comm" 2>/dev/null)
		echo "$pid ${comm:-gone}" >>/tmp/cmdline-hits
	done
	n=$((n + 1))
	echo "$n" >/tmp/cmdline-sweeps
done
