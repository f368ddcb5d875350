package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.iscsi.IscsiName;

/**
 * LIO (the kernel target, as in production) through {@code targetcli}. State is read from configfs, which is what
 * the kernel enforces: the TPG's node ACL directories and {@code attrib/generate_node_acls}. Deleting a node ACL makes
 * LIO close that initiator's sessions; the configuration is saved so a SAN reboot keeps the fence.
 * LIO lower-cases the InitiatorName of every login and compares it byte for byte with the ACL directory names (which
 * targetcli creates lower case), so the ACL that admits a node is the one named exactly by its lower-case name. LIO
 * has no address rules; its only allow-all is demo mode, which is refused.
 */
public final class TargetcliBackend implements SanBackend {

    private static final String CONFIGFS = "/sys/kernel/config/target/iscsi/";

    private final SanShell shell;
    private final IscsiName target;
    private final int tpg;
    private final Duration commandTimeout;

    public TargetcliBackend(SanShell shell, IscsiName target, int tpg, Duration commandTimeout) {
        if (tpg < 1 || tpg > 65535) {
            throw new IllegalArgumentException("tpg must be 1..65535: " + tpg);
        }
        this.shell = shell;
        this.target = target;
        this.tpg = tpg;
        this.commandTimeout = commandTimeout;
    }

    private String tpgDir() {
        return CONFIGFS + target.value() + "/tpgt_" + tpg;
    }

    List<String> deleteAclArgv(IscsiName initiator) {
        return List.of("targetcli", "/iscsi/" + target.value() + "/tpg" + tpg + "/acls", "delete", initiator.value());
    }

    List<String> createAclArgv(IscsiName initiator) {
        return List.of("targetcli", "/iscsi/" + target.value() + "/tpg" + tpg + "/acls", "create", initiator.value());
    }

    List<String> listAclArgv() {
        return List.of("ls", "-1", tpgDir() + "/acls");
    }

    List<String> sessionInfoArgv(IscsiName initiator) {
        return List.of("cat", tpgDir() + "/acls/" + initiator.value() + "/info");
    }

    @Override
    public void checkTarget() throws SanAccessException, FenceException {
        CommandResult r = shell.run(List.of("cat", tpgDir() + "/attrib/generate_node_acls"), commandTimeout);
        if (!r.ok()) {
            throw new FenceException("target " + target + " tpg " + tpg + " not found in LIO configfs: " + r.reason());
        }
        if (!r.stdout().strip().equals("0")) {
            throw new FenceException("target " + target + " tpg " + tpg + " generates node ACLs (demo mode):"
                    + " every initiator is admitted, so removing one ACL could not keep a node out");
        }
    }

    @Override
    public InitiatorAccess access(IscsiName initiator) throws SanAccessException, FenceException {
        boolean inAcl = aclEntries().contains(initiator.value());
        int sessions = 0;
        if (inAcl) {
            CommandResult info = shell.run(sessionInfoArgv(initiator), commandTimeout);
            // LIO prints "No active iSCSI Session for Initiator Endpoint: ..." when there is none.
            if (info.ok() && info.stdout().contains("InitiatorName:")) {
                sessions = 1;
            }
        }
        // Without its node ACL an initiator has no session on a non-demo TPG: LIO ends them with the ACL.
        return new InitiatorAccess(inAcl, sessions);
    }

    @Override
    public void revoke(IscsiName initiator) throws SanAccessException, FenceException {
        checkTarget();
        if (!aclEntries().contains(initiator.value())) {
            return;
        }
        CommandResult r = shell.run(deleteAclArgv(initiator), commandTimeout);
        if (!r.ok() && aclEntries().contains(initiator.value())) {
            throw new FenceException("targetcli could not delete the ACL of " + initiator + ": " + r.reason());
        }
        save();
    }

    @Override
    public void restore(IscsiName initiator) throws SanAccessException, FenceException {
        if (aclEntries().contains(initiator.value())) {
            return;
        }
        CommandResult r = shell.run(createAclArgv(initiator), commandTimeout);
        if (!r.ok() && !aclEntries().contains(initiator.value())) {
            throw new FenceException("targetcli could not create the ACL of " + initiator + ": " + r.reason());
        }
        save();
    }

    private void save() throws SanAccessException, FenceException {
        CommandResult r = shell.run(List.of("targetcli", "saveconfig"), commandTimeout);
        if (!r.ok()) {
            throw new FenceException(
                    "targetcli saveconfig failed (the change holds until the SAN reboots): " + r.reason());
        }
    }

    @Override
    public List<String> aclEntries() throws SanAccessException, FenceException {
        CommandResult r = shell.run(listAclArgv(), commandTimeout);
        if (!r.ok()) {
            throw new FenceException("cannot list the ACLs of " + target + " tpg " + tpg + ": " + r.reason());
        }
        List<String> names = new ArrayList<>();
        for (String line : r.stdout().split("\n")) {
            String n = line.strip();
            if (!n.isEmpty()) {
                names.add(n);
            }
        }
        return names;
    }

    @Override
    public List<String> initiators() throws SanAccessException, FenceException {
        return aclEntries();
    }
}
