#!/bin/sh
# Brought up by the image's /sbin/lab-init from the run's tar disk (/lab). Sets the guest up as one PBX node of
# the lab: its name, the cluster link, udev, iSCSI initiator, the o2cb cluster stack, the pbx-agent CLI and the
# pbx-storage resource agent; then serves the host's commands on the second serial port until told to power off.
# /lab/node.env (written by the test) names this node.
set -u
. /lab/node.env
t() { cut -d' ' -f1 /proc/uptime; }
echo "LAB-BOOT node=$NODE uptime=$(t)"
hostname "$NODE"
echo "$NODE" >/etc/hostname

# Network: eth0 is QEMU's user-mode link to the SAN, eth1 the cluster link between the two PBXs.
modprobe virtio_net 2>/dev/null
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
if ip link show eth1 >/dev/null 2>&1; then
	ip link set eth1 up && ip addr add "$LINK_IP/24" dev eth1
fi
# eth2, where the node has one: its own link to the LIO SAN guest.
if [ -n "${SAN_LINK_IP:-}" ] && ip link show eth2 >/dev/null 2>&1; then
	ip link set eth2 up && ip addr add "$SAN_LINK_IP/24" dev eth2
fi
printf '127.0.0.1 localhost\n%b\n' "$HOSTS" >/etc/hosts

# The LIO SAN guest: the kernel's own iSCSI target, configured with targetcli's library from a saved
# configuration (one file-backed LUN with ext4, one node ACL, a portal on its link address so that SendTargets names
# an address the node reaches), and sshd for fence_pbx_san, which runs targetcli here as on a production SAN.
if [ "${ROLE:-pbx}" = lio ]; then
	for m in configfs target_core_mod target_core_file iscsi_target_mod; do modprobe "$m" 2>/dev/null; done
	grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs configfs /sys/kernel/config
	mkdir -p /srv/lio /etc/rtslib-fb-target
	truncate -s 64M /srv/lio/lun0.img
	mkfs.ext4 -q -F -L pbxlio /srv/lio/lun0.img
	cat >/etc/rtslib-fb-target/saveconfig.json <<JSON
{"storage_objects": [{"plugin": "fileio", "name": "lun0", "dev": "/srv/lio/lun0.img", "size": 67108864,
  "write_back": false}],
 "targets": [{"fabric": "iscsi", "wwn": "$TARGET", "tpgs": [{"tag": 1, "enable": true,
  "attributes": {"authentication": 0, "generate_node_acls": 0, "demo_mode_write_protect": 1, "cache_dynamic_acls": 0},
  "luns": [{"index": 0, "storage_object": "/backstores/fileio/lun0"}],
  "portals": [{"ip_address": "$LINK_IP", "port": 3260}],
  "node_acls": [{"node_wwn": "$ADMIT", "mapped_luns": [{"index": 0, "tpg_lun": 0, "write_protect": false}]}]}]}]}
JSON
	python3 -c 'import sys, rtslib_fb
errors = rtslib_fb.RTSRoot().restore_from_file(sys.argv[1])
for e in errors or []:
    print("LAB-FAIL lio restore: %s" % e)' /etc/rtslib-fb-target/saveconfig.json
	echo "LAB-LIO acls: $(ls /sys/kernel/config/target/iscsi/"$TARGET"/tpgt_1/acls 2>&1)"
	# targetcli looks for tcmu-runner on the system bus at every start and fails without one.
	mkdir -p /run/dbus
	dbus-daemon --system --fork </dev/null >/dev/console 2>&1 || echo "LAB-FAIL dbus-daemon"
	mkdir -p /run/sshd /root/.ssh
	install -m 600 /lab/ssh/authorized_keys /root/.ssh/authorized_keys
	# The fencing account as storage/README.md installs it: its key forced to pbx-san-fence through one sudo rule.
	# No password, yet not locked ('*'): sshd refuses a key to a locked ("!") account.
	useradd --system --create-home --home-dir /var/lib/pbxfence --shell /bin/sh pbxfence
	usermod -p '*' pbxfence
	install -m 755 /lab/san/pbx-san-fence /usr/local/sbin/pbx-san-fence
	install -m 644 /lab/san/pbx-san-fence.conf /etc/pbx-san-fence.conf
	install -m 440 /lab/san/sudoers /etc/sudoers.d/pbx-san-fence
	install -d -m 700 -o pbxfence -g pbxfence /var/lib/pbxfence/.ssh
	install -m 600 -o pbxfence -g pbxfence /lab/san/authorized_keys /var/lib/pbxfence/.ssh/authorized_keys
	/usr/sbin/sshd -h /lab/ssh/ssh_host_ed25519_key -o PermitRootLogin=prohibit-password \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -o UsePAM=no -o UseDNS=no \
		</dev/null >/dev/console 2>&1 || echo "LAB-FAIL sshd"
	echo "LAB-READY node=$NODE uptime=$(t)"
	exec sh /lab/control.sh
fi

# Devices: udev makes /dev/disk/by-path, which the agent's default device name uses.
for m in sd_mod iscsi_tcp crc32c_generic; do modprobe "$m" 2>/dev/null; done
# Only block devices are replayed: coldplugging everything loads drivers for emulated hardware nobody uses, which
# costs a minute under TCG. A LUN that appears later is an ordinary hotplug event.
/lib/systemd/systemd-udevd --daemon </dev/null >/dev/console 2>&1
udevadm trigger --action=add --subsystem-match=block >/dev/null 2>&1
udevadm settle --timeout=60 >/dev/null 2>&1

# iSCSI initiator: this node's name, a 15 s replacement timeout (the default 120 s makes a fenced node's death
# slow), no automatic logins: the agent logs in.
mkdir -p /etc/iscsi /run/lock/iscsi
echo "InitiatorName=$INITIATOR" >/etc/iscsi/initiatorname.iscsi
sed -i -e 's/^node.session.timeo.replacement_timeout = .*/node.session.timeo.replacement_timeout = 15/' \
	-e 's/^node.startup = .*/node.startup = manual/' /etc/iscsi/iscsid.conf
# No syslog in the guest: iscsid in the foreground tells the console.
setsid iscsid -f </dev/null >/dev/console 2>&1 &

# OCFS2 cluster stack (o2cb) with heartbeat timeouts that hold on a loaded machine but act within ~20 s.
if [ -n "${CLUSTER_CONF:-}" ]; then
	mkdir -p /etc/ocfs2
	printf '%b' "$CLUSTER_CONF" >/etc/ocfs2/cluster.conf
	cat >/etc/default/o2cb <<O2CB
O2CB_ENABLED=true
O2CB_STACK=o2cb
O2CB_BOOTCLUSTER=labclu
O2CB_HEARTBEAT_THRESHOLD=11
O2CB_IDLE_TIMEOUT_MS=15000
O2CB_KEEPALIVE_DELAY_MS=2000
O2CB_RECONNECT_DELAY_MS=2000
O2CB
	/etc/init.d/o2cb start </dev/null >/dev/console 2>&1 || echo "LAB-FAIL o2cb start"
fi

# The agent: its CLI on the lab's classpath, resource-agents' OCF shell library, and the resource agent with the
# pbx library it sources, where Pacemaker has them.
mkdir -p /opt/pbx-agent/bin /etc/pbx-agent /usr/lib/ocf/lib/heartbeat /usr/lib/ocf/resource.d/pbx
cat >/opt/pbx-agent/bin/pbx-agent <<'CLI'
#!/bin/sh
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx96m -cp '/lab/lib/*' org.pbxagent.agent.app.Main "$@"
CLI
chmod 755 /opt/pbx-agent/bin/pbx-agent
cp /lab/ocf/lib/* /usr/lib/ocf/lib/heartbeat/
install -m 644 /lab/ocf/pbx-ocf-lib.sh /usr/lib/ocf/resource.d/pbx/pbx-ocf-lib.sh
install -m 755 /lab/ocf/pbx-storage /usr/lib/ocf/resource.d/pbx/pbx-storage
for f in /lab/etc/*; do [ -f "$f" ] && cp "$f" /etc/pbx-agent/; done
mkdir -p /srv/pbx-shared /srv/pbx-local

echo "LAB-READY node=$NODE uptime=$(t)"
exec sh /lab/control.sh
