#!/bin/sh
# Writes and fsyncs one 4 KiB block through the shared mount over and over until /tmp/stop-writer exists, one
# console line per write: "LAB-IO NODE SEQ ok|fail START END" (guest uptime seconds), so the host can see when
# I/O stops, fails or stalls.
. /lab/node.env
f=${1:-/srv/pbx-shared}/io-$NODE
n=0
while [ ! -e /tmp/stop-writer ]; do
	n=$((n + 1))
	s=$(cut -d' ' -f1 /proc/uptime)
	if echo "$NODE $n $s" | dd of="$f" bs=4k conv=fsync,notrunc status=none 2>/tmp/writer.err; then
		r=ok
	else
		r=fail
	fi
	e=$(cut -d' ' -f1 /proc/uptime)
	echo "LAB-IO $NODE $n $r $s $e $( [ $r = fail ] && head -c 120 /tmp/writer.err | tr '\n' ' ')"
	sleep 0.3
done
