package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.pbxagent.storage.iscsi.IscsiName;

/**
 * Fabric fencing of one initiator on the SAN: off revokes and then proves the initiator has neither an ACL entry nor
 * a session, and that no address rule still admits it; on restores the ACL entry and proves it is back. Success is
 * never reported without that proof. Concurrent fences of the same victim (two fencers, or one retried) are safe:
 * every step is idempotent and the final verification decides.
 *
 * <p>"Already off" is believed only when the victim's name cannot be a typo: a plug that is a raw initiator name must
 * be one the target lists, and a node from the initiator map is not taken as off while the target still knows an
 * initiator the map does not name (it may be that very node under its real name).
 */
public final class SanFence {

    public enum Result {
        DONE,
        ALREADY
    }

    private static final ConcurrentHashMap<String, ReentrantLock> VICTIM_LOCKS = new ConcurrentHashMap<>();

    private final SanBackend backend;
    private final Duration budget;
    private final long deadline;
    private final Collection<String> mapped;

    /** No initiator map: every victim is taken as named correctly (callers that checked the name themselves). */
    public SanFence(SanBackend backend, Duration budget) {
        this(backend, budget, System.nanoTime() + budget.toNanos(), null);
    }

    /**
     * @param deadline System.nanoTime() by which off/on must be verified (the whole action's power_timeout)
     * @param mapped   the initiator names of the initiator map (lower case), or null to skip the name checks
     */
    public SanFence(SanBackend backend, Duration budget, long deadline, Collection<String> mapped) {
        this.backend = backend;
        this.budget = budget;
        this.deadline = deadline;
        this.mapped = mapped;
    }

    public Result off(IscsiName victim) throws SanAccessException, FenceException {
        ReentrantLock lock = VICTIM_LOCKS.computeIfAbsent(victim.value(), k -> new ReentrantLock());
        lock.lock();
        try {
            backend.checkTarget();
            InitiatorAccess before = backend.access(victim);
            refuseAddressRule(victim, before);
            if (before.fenced()) {
                requireKnown(victim);
                return Result.ALREADY;
            }
            InitiatorAccess now = before;
            do {
                backend.revoke(victim);
                // Its sessions are being ended: judge address rules by where it was logged in from as well.
                now = backend.access(victim).seenAt(before.addresses());
                refuseAddressRule(victim, now);
                if (now.fenced()) {
                    return Result.DONE;
                }
                pause();
            } while (System.nanoTime() < deadline);
            throw new FenceException("could not verify that " + victim + " is off within " + budget.toMillis()
                    + " ms: ACL entry " + (now.inAcl() ? "still present" : "removed") + ", "
                    + now.liveSessions() + " session(s) still open");
        } finally {
            lock.unlock();
        }
    }

    public Result on(IscsiName victim) throws SanAccessException, FenceException {
        ReentrantLock lock = VICTIM_LOCKS.computeIfAbsent(victim.value(), k -> new ReentrantLock());
        lock.lock();
        try {
            if (backend.access(victim).allowed()) {
                return Result.ALREADY;
            }
            requireListedIfUnmapped(victim);
            do {
                backend.restore(victim);
                if (backend.access(victim).allowed()) {
                    return Result.DONE;
                }
                pause();
            } while (System.nanoTime() < deadline);
            throw new FenceException(
                    "could not verify that " + victim + " is back in the ACL within " + budget.toMillis() + " ms");
        } finally {
            lock.unlock();
        }
    }

    /**
     * What the SAN grants the victim now. A victim with no name entry and no session is reported off only when its
     * name cannot be a typo (see the class comment); otherwise this throws.
     */
    public InitiatorAccess status(IscsiName victim) throws SanAccessException, FenceException {
        InitiatorAccess a = backend.access(victim);
        if (a.fenced()) {
            requireKnown(victim);
        }
        return a;
    }

    /** True when the initiator can reach the LUN (ACL entry, open session or an admitting address rule). */
    public boolean isOn(IscsiName victim) throws SanAccessException, FenceException {
        return !status(victim).fenced();
    }

    private void refuseAddressRule(IscsiName victim, InitiatorAccess a) throws FenceException {
        if (a.admittingAddressAcl() != null) {
            String rule = a.admittingAddressAcl();
            throw new FenceException("refusing to fence " + victim + ": the target also admits by address (ACL entry "
                    + rule + ") and lets in an initiator whose name or address matches, so removing the name"
                    + " could not keep the node out; unbind that rule (tgtadm --op unbind --initiator-address "
                    + rule + ") or narrow it so it cannot cover the node");
        }
    }

    private void requireKnown(IscsiName victim) throws SanAccessException, FenceException {
        if (mapped == null) {
            return;
        }
        requireListedIfUnmapped(victim);
        if (!isMapped(victim.value())) {
            return;
        }
        List<String> unnamed = backend.initiators().stream()
                .filter(i -> !isMapped(i))
                .distinct()
                .toList();
        if (!unnamed.isEmpty()) {
            throw new FenceException(victim + " is not on the target, but the target still admits " + unnamed
                    + ", which initiator_map does not name: if one of them is this node, correct initiator_map"
                    + " (it must name every initiator of the target)");
        }
    }

    private void requireListedIfUnmapped(IscsiName victim) throws SanAccessException, FenceException {
        if (mapped == null || isMapped(victim.value())) {
            return;
        }
        boolean listed = backend.initiators().stream().anyMatch(i -> i.equalsIgnoreCase(victim.value()));
        if (!listed) {
            throw new FenceException("plug " + victim + " is not in initiator_map and the target does not list"
                    + " that initiator: nothing is known of it (a typo?); give a node name from initiator_map");
        }
    }

    private boolean isMapped(String initiator) {
        return mapped.stream().anyMatch(m -> m.equalsIgnoreCase(initiator));
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
