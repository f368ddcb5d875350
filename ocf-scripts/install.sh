#!/bin/sh
# Installs pbx-agent's resource agents and fence agent where Pacemaker looks for them:
#   /usr/lib/ocf/resource.d/pbx/{pbx-storage,pbx-asterisk,pbx-agent}   (OCF class, provider "pbx": PBX nodes)
#   /usr/lib/ocf/resource.d/pbx/pbx-kamailio                           (the same, for the proxy pair's nodes)
#   /usr/lib/ocf/resource.d/pbx/pbx-ocf-lib.sh                         (the functions they share, sourced)
#   /usr/sbin/fence_pbx_san                                            (stonith class)
# Usage: sh install.sh [--provider NAME]     DESTDIR=/staging sh install.sh   (for packaging)
# Run it on every cluster node. It changes nothing else; the agents need the pbx-agent launcher (agent_cli).
set -eu
provider=pbx
while [ $# -gt 0 ]; do
	case "$1" in
	--provider) [ $# -ge 2 ] || { echo "install.sh: --provider needs a name" >&2; exit 2; }; provider=$2; shift 2 ;;
	-h|--help) sed -n '2,7p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$provider" in
''|*/*|.*) echo "install.sh: bad provider name '$provider'" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
dest=${DESTDIR:-}
ocfdir="$dest/usr/lib/ocf/resource.d/$provider"
sbindir="$dest/usr/sbin"
mkdir -p "$ocfdir" "$sbindir"
# The library first, so that a new agent never runs against an old one. Not executable: Pacemaker lists every
# executable file of the provider's directory as an agent.
install -m 0644 "$here/pbx-ocf-lib.sh" "$ocfdir/pbx-ocf-lib.sh"
echo "installed $ocfdir/pbx-ocf-lib.sh"
for agent in pbx-storage pbx-asterisk pbx-agent pbx-kamailio; do
	# install(1) writes a temp file and renames it: a monitor running during an upgrade sees old or new, never half.
	install -m 0755 "$here/$agent" "$ocfdir/$agent"
	echo "installed $ocfdir/$agent"
done
install -m 0755 "$here/fence_pbx_san" "$sbindir/fence_pbx_san"
echo "installed $sbindir/fence_pbx_san"
