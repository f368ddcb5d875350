package org.pbxagent.agent.storage;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.pbxagent.storage.fence.FenceAgent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code pbx-agent fence}: the fence agent fence_pbx_san (fence-agents API). Arguments go to it untouched; with none,
 * it reads key=value lines on stdin, as Pacemaker's fencer passes them. Exit codes are fence-agents' own.
 */
@Command(
        name = "fence",
        description = "Fabric fencing off the iSCSI SAN (fence_pbx_san; '-o metadata' lists parameters).")
public final class FenceCommand implements Callable<Integer> {

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        PrintStream out = System.out;
        int rc = new FenceAgent(out, System.err).run(args.toArray(new String[0]), System.in);
        out.flush();
        return rc;
    }
}
