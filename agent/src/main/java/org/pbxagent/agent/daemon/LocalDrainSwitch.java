package org.pbxagent.agent.daemon;

import java.time.Clock;
import org.pbxagent.agent.module.DrainState;
import org.pbxagent.agent.module.DrainSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drain switch used when no balancer component is installed: it records the state (shown in /status, returned
 * by the admin endpoints) and tells nobody. Useful on a single node and in the demo.
 */
public final class LocalDrainSwitch implements DrainSwitch {
    private static final Logger log = LoggerFactory.getLogger(LocalDrainSwitch.class);
    private final Clock clock;
    private volatile DrainState state;

    public LocalDrainSwitch(Clock clock) {
        this.clock = clock;
        this.state = DrainState.active(clock.instant());
    }

    @Override
    public synchronized DrainState drain(String reason, boolean force) {
        if (!state.drained()) {
            log.info("drained: {} (no balancer configured, nobody else told)", reason);
            state = new DrainState(true, reason, clock.instant(), java.util.Map.of("balancer", "none"));
        }
        return state;
    }

    @Override
    public synchronized DrainState undrain() {
        if (state.drained()) {
            log.info("undrained (no balancer configured, nobody else told)");
            state = DrainState.active(clock.instant());
        }
        return state;
    }

    @Override
    public DrainState state() {
        return state;
    }
}
