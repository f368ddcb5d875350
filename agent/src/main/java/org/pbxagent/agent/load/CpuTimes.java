package org.pbxagent.agent.load;

/**
 * The aggregate {@code cpu} line of /proc/stat, reduced to busy and total jiffies. Guest time is already inside user
 * time (proc(5)), so it is not added again; idle and iowait count as not busy.
 */
public record CpuTimes(long busy, long total) {

    /** Parses the first {@code cpu } line of /proc/stat text. */
    public static CpuTimes parse(CharSequence procStat) {
        String text = procStat.toString();
        int start = text.startsWith("cpu ") ? 0 : text.indexOf("\ncpu ") + 1;
        if (start < 0 || !text.startsWith("cpu ", start)) {
            throw new IllegalArgumentException("/proc/stat has no aggregate 'cpu' line");
        }
        int end = text.indexOf('\n', start);
        String[] f =
                text.substring(start + 4, end < 0 ? text.length() : end).trim().split("\\s+");
        if (f.length < 4) {
            throw new IllegalArgumentException("/proc/stat 'cpu' line has " + f.length + " fields, need at least 4");
        }
        long total = 0;
        long idle = 0;
        // user nice system idle iowait irq softirq steal [guest guest_nice: part of user/nice already]
        for (int i = 0; i < Math.min(f.length, 8); i++) {
            long v;
            try {
                v = Long.parseLong(f[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("/proc/stat 'cpu' field " + (i + 1) + " is not a number: " + f[i]);
            }
            total += v;
            if (i == 3 || i == 4) {
                idle += v;
            }
        }
        return new CpuTimes(total - idle, total);
    }

    /** Busy fraction 0..1 from {@code earlier} to this sample, or NaN when no time passed (or counters went back). */
    public double busySince(CpuTimes earlier) {
        long dt = total - earlier.total;
        long db = busy - earlier.busy;
        if (dt <= 0 || db < 0) {
            return Double.NaN;
        }
        return Math.min(1.0, (double) db / dt);
    }
}
