package org.pbxagent.storage.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.pbxagent.storage.command.BoundedCommand;
import org.pbxagent.storage.command.CommandResult;
import org.pbxagent.storage.command.CommandRunner;

/**
 * Whether the cluster stack OCFS2 needs is online on this node: the kernel's {@code /sys/fs/ocfs2/cluster_stack}
 * says which one; "o2cb" needs a configured cluster in configfs, "pcmk" needs the DLM control daemon answering.
 * Mounting OCFS2 without it hangs or fails in the kernel with little to say, so this is asked first.
 */
public final class ClusterStack {

    private final CommandRunner runner;
    private final Path sysfs;

    public ClusterStack(CommandRunner runner) {
        this(runner, Path.of("/sys"));
    }

    ClusterStack(CommandRunner runner, Path sysfs) {
        this.runner = runner;
        this.sysfs = sysfs;
    }

    /** Null when online; otherwise what is missing, in words an operator can act on. */
    public String problem(Duration timeout) {
        Path stackFile = sysfs.resolve("fs/ocfs2/cluster_stack");
        String stack;
        try {
            stack = Files.readString(stackFile).strip();
        } catch (IOException e) {
            return "the ocfs2 kernel module is not loaded (" + stackFile + " missing): modprobe ocfs2 and start the"
                    + " cluster stack";
        }
        if (stack.equals("o2cb")) {
            Path clusters = sysfs.resolve("kernel/config/cluster");
            try (Stream<Path> s = Files.list(clusters)) {
                if (s.findAny().isEmpty()) {
                    return "o2cb stack has no cluster online (" + clusters + " is empty): o2cb register-cluster";
                }
            } catch (IOException e) {
                return "o2cb stack is not online (" + clusters + " unreadable): mount configfs and start o2cb";
            }
            return null;
        }
        if (stack.equals("pcmk")) {
            CommandResult r = runner.run(BoundedCommand.of(timeout, "dlm_tool", "status"));
            return r.ok() ? null : "pcmk stack: DLM is not running (" + r.reason() + "): start the dlm resource";
        }
        return "unknown OCFS2 cluster stack '" + stack + "'";
    }
}
