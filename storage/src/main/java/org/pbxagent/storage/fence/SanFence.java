package org.pbxagent.storage.fence;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.pbxagent.storage.iscsi.IscsiName;

/**
 * Fabric fencing of one initiator on the SAN: off revokes and then proves the initiator has neither an ACL entry nor
 * a session; on restores the ACL entry and proves it is back. Success is never reported without that proof.
 * Concurrent fences of the same victim (two fencers, or one retried) are safe: every step is idempotent and the
 * final verification decides.
 */
public final class SanFence {

    public enum Result {
        DONE, ALREADY
    }

    private static final ConcurrentHashMap<String, ReentrantLock> VICTIM_LOCKS = new ConcurrentHashMap<>();

    private final SanBackend backend;
    private final Duration verifyBudget;

    public SanFence(SanBackend backend, Duration verifyBudget) {
        this.backend = backend;
        this.verifyBudget = verifyBudget;
    }

    public Result off(IscsiName victim) throws SanAccessException, FenceException {
        ReentrantLock lock = VICTIM_LOCKS.computeIfAbsent(victim.value(), k -> new ReentrantLock());
        lock.lock();
        try {
            backend.checkTarget();
            InitiatorAccess before = backend.access(victim);
            if (before.fenced()) {
                return Result.ALREADY;
            }
            long deadline = System.nanoTime() + verifyBudget.toNanos();
            InitiatorAccess now = before;
            do {
                backend.revoke(victim);
                now = backend.access(victim);
                if (now.fenced()) {
                    return Result.DONE;
                }
                pause();
            } while (System.nanoTime() < deadline);
            throw new FenceException("could not verify that " + victim + " is off within " + verifyBudget.toMillis()
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
            long deadline = System.nanoTime() + verifyBudget.toNanos();
            do {
                backend.restore(victim);
                if (backend.access(victim).allowed()) {
                    return Result.DONE;
                }
                pause();
            } while (System.nanoTime() < deadline);
            throw new FenceException("could not verify that " + victim + " is back in the ACL within "
                    + verifyBudget.toMillis() + " ms");
        } finally {
            lock.unlock();
        }
    }

    /** True when the initiator can reach the LUN (ACL entry present or a session still open). */
    public boolean isOn(IscsiName victim) throws SanAccessException, FenceException {
        return !backend.access(victim).fenced();
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
