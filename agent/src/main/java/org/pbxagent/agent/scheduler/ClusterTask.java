package org.pbxagent.agent.scheduler;

import java.time.Duration;

/**
 * Work that must run once per cluster per period, on whichever node's cluster scheduler gets the firing. Runs are
 * never concurrent and a missed firing (all nodes down) is skipped, not replayed.
 */
public interface ClusterTask {

    /** Stable name: it is the Quartz job name in the shared DB, and the job_name of its run records. */
    String name();

    Duration period();

    /**
     * Does the work once.
     *
     * @return a short result for the run record (at most ~1000 characters are kept)
     */
    String run() throws Exception;
}
