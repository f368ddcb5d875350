package org.pbxagent.agent.load;

/** MemTotal and MemAvailable of /proc/meminfo, in kB. */
public record MemInfo(long totalKb, long availableKb) {

    /**
     * Parses /proc/meminfo text. Kernels before 3.14 have no MemAvailable: MemFree + Buffers + Cached stands in,
     * which overstates what is free but keeps the score meaningful.
     */
    public static MemInfo parse(CharSequence procMeminfo) {
        long total = -1;
        long available = -1;
        long free = -1;
        long buffers = 0;
        long cached = 0;
        for (String line : procMeminfo.toString().split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon);
            switch (key) {
                case "MemTotal" -> total = kb(line, colon);
                case "MemAvailable" -> available = kb(line, colon);
                case "MemFree" -> free = kb(line, colon);
                case "Buffers" -> buffers = kb(line, colon);
                case "Cached" -> cached = kb(line, colon);
                default -> {}
            }
        }
        if (total <= 0) {
            throw new IllegalArgumentException("/proc/meminfo has no positive MemTotal");
        }
        if (available < 0) {
            if (free < 0) {
                throw new IllegalArgumentException("/proc/meminfo has neither MemAvailable nor MemFree");
            }
            available = free + buffers + cached;
        }
        return new MemInfo(total, Math.min(available, total));
    }

    /** Fraction of memory in use, 0..1. */
    public double used() {
        return 1.0 - (double) availableKb / totalKb;
    }

    private static long kb(String line, int colon) {
        String v = line.substring(colon + 1).trim();
        int sp = v.indexOf(' ');
        try {
            return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("/proc/meminfo value is not a number: " + line.trim());
        }
    }
}
