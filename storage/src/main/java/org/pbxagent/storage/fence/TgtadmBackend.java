package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.iscsi.IscsiName;

/**
 * tgt (userspace target): ACLs by initiator name through {@code tgtadm --mode target --op bind|unbind}, sessions ended
 * through {@code --mode conn --op delete}. Runtime changes only: tgt does not write them back to targets.conf, so
 * a restarted tgtd must be configured without the fenced node's ACL (see the storage README).
 */
public final class TgtadmBackend implements SanBackend {

    private final SanShell shell;
    private final IscsiName target;
    private final OptionalInt controlPort;
    private final Duration commandTimeout;

    public TgtadmBackend(SanShell shell, IscsiName target, OptionalInt controlPort, Duration commandTimeout) {
        this.shell = shell;
        this.target = target;
        this.controlPort = controlPort;
        this.commandTimeout = commandTimeout;
    }

    private List<String> tgtadm(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add("tgtadm");
        if (controlPort.isPresent()) {
            argv.add("-C");
            argv.add(Integer.toString(controlPort.getAsInt()));
        }
        argv.add("--lld");
        argv.add("iscsi");
        argv.addAll(List.of(args));
        return argv;
    }

    /** The tgtadm argv that shows every target (exposed for tests of the argv). */
    List<String> showArgv() {
        return tgtadm("--mode", "target", "--op", "show");
    }

    private TgtTarget show() throws SanAccessException, FenceException {
        CommandResult r = shell.run(showArgv(), commandTimeout);
        if (!r.ok()) {
            throw new FenceException("cannot read the SAN's targets: " + r.reason());
        }
        TgtTarget t = TgtTarget.parse(r.stdout()).get(target.value());
        if (t == null) {
            throw new FenceException("target " + target + " does not exist on the SAN");
        }
        return t;
    }

    @Override
    public void checkTarget() throws SanAccessException, FenceException {
        refuseAll(show());
    }

    private void refuseAll(TgtTarget t) throws FenceException {
        if (t.acl().stream().anyMatch(a -> a.equalsIgnoreCase("ALL"))) {
            throw new FenceException("target " + target + " admits ALL initiator addresses (ACL entry ALL):"
                    + " removing one initiator name could not keep that node out; unbind ALL first");
        }
    }

    @Override
    public InitiatorAccess access(IscsiName initiator) throws SanAccessException, FenceException {
        TgtTarget t = show();
        return new InitiatorAccess(
                t.aclGrants(initiator.value()),
                t.sessionsOf(initiator.value()),
                t.addressesOf(initiator.value()),
                t.addressEntries());
    }

    @Override
    public void revoke(IscsiName initiator) throws SanAccessException, FenceException {
        TgtTarget t = show();
        refuseAll(t);
        String tid = Integer.toString(t.tid());
        // Each entry exactly as stored: tgt matches names byte for byte, so "...:PBX2" is unbound as "...:PBX2".
        for (String entry : t.nameEntriesFor(initiator.value())) {
            CommandResult r = shell.run(
                    tgtadm("--mode", "target", "--op", "unbind", "--tid", tid, "--initiator-name", entry),
                    commandTimeout);
            if (r.ok()) {
                continue;
            }
            // 22 "rule does not exist" means another fence got there first only if the target agrees.
            if (r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == 22) {
                if (show().acl().contains(entry)) {
                    throw new FenceException("tgtadm answered 22 (no such rule) unbinding " + entry
                            + " but the target still lists it: " + r.reason());
                }
                continue;
            }
            throw new FenceException("removing " + entry + " from the ACL failed: " + r.reason());
        }
        // ACL first, sessions second: once the rule is gone the initiator cannot log back in between the two.
        for (TgtTarget.Nexus n : show().nexuses()) {
            if (!n.initiator().equalsIgnoreCase(initiator.value())) {
                continue;
            }
            for (int cid : n.connections()) {
                CommandResult r = shell.run(
                        tgtadm(
                                "--mode",
                                "conn",
                                "--op",
                                "delete",
                                "--tid",
                                tid,
                                "--sid",
                                Integer.toString(n.sid()),
                                "--cid",
                                Integer.toString(cid)),
                        commandTimeout);
                if (!r.ok() && !(r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == 22)) {
                    throw new FenceException(
                            "ending session " + n.sid() + " of " + initiator + " failed: " + r.reason());
                }
            }
        }
    }

    @Override
    public void restore(IscsiName initiator) throws SanAccessException, FenceException {
        TgtTarget t = show();
        if (t.aclGrants(initiator.value())) {
            return;
        }
        CommandResult r = shell.run(
                tgtadm(
                        "--mode",
                        "target",
                        "--op",
                        "bind",
                        "--tid",
                        Integer.toString(t.tid()),
                        "--initiator-name",
                        initiator.value()),
                commandTimeout);
        if (!r.ok() && !(r.outcome() == CommandResult.Outcome.EXITED && r.exitCode() == 22)) {
            throw new FenceException("adding " + initiator + " to the ACL failed: " + r.reason());
        }
    }

    @Override
    public List<String> aclEntries() throws SanAccessException, FenceException {
        return show().acl();
    }

    @Override
    public List<String> initiators() throws SanAccessException, FenceException {
        return show().initiators();
    }
}
