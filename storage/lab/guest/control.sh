#!/bin/sh
# The host's command channel on the second serial port (/dev/ttyS1, a socket on the host). One request per line:
# "ID BASE64(command)"; each runs with sh, stdin from /dev/null, and is answered with one line
# "@@RESULT ID RC SECONDS BASE64(output)". Requests run one after another; a command that must outlive its request
# starts itself in the background with its output on /dev/console. "poweroff" ends the guest.
set -u
. /lab/node.env
TTY=/dev/ttyS1
stty -F "$TTY" raw -echo -onlcr 115200 || { echo "LAB-FAIL no $TTY"; exit 1; }
exec 3<>"$TTY"
echo "@@HELLO $NODE" >&3
while IFS=' ' read -r id cmd <&3; do
	[ -n "$id" ] || continue
	if [ "$id" = poweroff ]; then
		echo "@@RESULT poweroff 0 0 " >&3
		break
	fi
	printf '%s' "$cmd" | base64 -d >/tmp/lab-cmd 2>/dev/null || { echo "@@RESULT $id 254 0 " >&3; continue; }
	s=$(cut -d' ' -f1 /proc/uptime)
	sh /tmp/lab-cmd </dev/null >/tmp/lab-out 2>&1
	rc=$?
	e=$(cut -d' ' -f1 /proc/uptime)
	echo "@@RESULT $id $rc $(echo "$e - $s" | awk '{print $1 - $3}') $(base64 -w0 </tmp/lab-out)" >&3
done
echo "LAB-POWEROFF node=$NODE"
