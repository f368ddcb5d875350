#!/bin/sh
# The same cluster as pbx-cluster.crm, for distributions that manage Pacemaker with pcs (pcs 0.11 syntax, as in Debian 12 and RHEL 9).
# The reasons for each value are written beside it in pbx-cluster.crm; they are not repeated here.
# Build everything in a file first and push it once, so the cluster never runs a half-made configuration:
#   sh pbx-cluster.pcs.sh            (run on one node, after "pcs cluster setup" and "pcs cluster start --all")
set -eu
cib=$(mktemp)
trap 'rm -f "$cib"' EXIT
pcs cluster cib "$cib"

pcs -f "$cib" property set stonith-enabled=true stonith-timeout=30s no-quorum-policy=stop \
	cluster-recheck-interval=1min start-failure-is-fatal=false
pcs -f "$cib" resource defaults update resource-stickiness=100 migration-threshold=3 failure-timeout=10min
pcs -f "$cib" resource op defaults update timeout=30s record-pending=true

# Fabric fencing through the SAN: reboot is done as off, unfencing re-admits a node that comes back, and pbx1 wins
# a split (fencing it waits 3 s).
pcs -f "$cib" stonith create st-san fence_pbx_san \
	ipaddr=192.0.2.10 ipport=22 login=pbxfence \
	identity_file=/etc/pbx-agent/san_id_ed25519 known_hosts=/etc/pbx-agent/san_known_hosts \
	san_type=targetcli target=iqn.2026-11.org.pbxagent:san.shared \
	initiator_map='pbx1=iqn.2026-11.org.pbxagent:pbx1;pbx2=iqn.2026-11.org.pbxagent:pbx2' \
	pcmk_host_list='pbx1 pbx2' pcmk_reboot_action=off pcmk_delay_base='pbx1:3s;pbx2:0s' \
	op monitor interval=60s timeout=20s \
	meta provides=unfencing

pcs -f "$cib" resource create p-storage ocf:pbx:pbx-storage \
	config=/etc/pbx-agent/pbx-agent.properties \
	op start timeout=90s op stop timeout=90s \
	op monitor interval=5s timeout=20s \
	op monitor interval=60s timeout=40s OCF_CHECK_LEVEL=20 \
	--group g-pbx

pcs -f "$cib" resource create p-asterisk ocf:pbx:pbx-asterisk \
	binary=/usr/sbin/asterisk options='-f -U asterisk -G asterisk' \
	ami_port=5038 ami_user=pbx-agent ami_secret_file=/etc/pbx-agent/ami.secret \
	drain_url=http://127.0.0.1:8088/drain \
	admin_token_file=/etc/pbx-agent/admin.token \
	op start timeout=60s op stop timeout=120s \
	op monitor interval=1s timeout=10s \
	op monitor interval=30s timeout=15s OCF_CHECK_LEVEL=10 \
	--group g-pbx

pcs -f "$cib" resource create p-agent ocf:pbx:pbx-agent \
	config=/etc/pbx-agent/pbx-agent.properties agent_cli=/opt/pbx-agent/bin/pbx-agent \
	health_url=http://127.0.0.1:8088/health/live status_url=http://127.0.0.1:8088/status \
	op start timeout=120s op stop timeout=60s \
	op monitor interval=2s timeout=10s \
	op monitor interval=30s timeout=10s OCF_CHECK_LEVEL=10

# The group (storage, then Asterisk) is ordered and colocated by definition; the clone runs it on both PBX nodes.
pcs -f "$cib" resource clone g-pbx cl-pbx meta clone-max=2 clone-node-max=1 interleave=true
# The agent third, outside the group, so that an Asterisk restart does not restart it (see pbx-cluster.crm).
pcs -f "$cib" resource clone p-agent cl-agent meta clone-max=2 clone-node-max=1 interleave=true
pcs -f "$cib" constraint colocation add cl-agent with cl-pbx INFINITY id=agent-with-pbx
pcs -f "$cib" constraint order start cl-pbx "then" start cl-agent kind=Optional id=pbx-then-agent

crm_verify -x "$cib" -V
pcs cluster cib-push "$cib" --config
