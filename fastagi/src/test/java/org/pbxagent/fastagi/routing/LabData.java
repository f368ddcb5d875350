package org.pbxagent.fastagi.routing;

import java.sql.SQLException;
import org.pbxagent.fastagi.data.TestDatabase;

/**
 * Tenant {@code lab} (America/New_York): one entry per routing feature, on top of the sample data, so each test can
 * name the row it exercises.
 */
final class LabData {
    private LabData() {}

    static void load(TestDatabase db) throws SQLException {
        long t = db.insert("INSERT INTO tenant (name, time_zone) VALUES (?, ?)", "lab", "America/New_York");
        long e2001 = ext(db, t, "2001", "SIP/2001", "2001@lab", false, null, null, null, 3, "2125550100");
        long e2002 = ext(db, t, "2002", "SIP/2002", "2002@lab", true, null, null, null, 0, null);
        ext(db, t, "2003", "SIP/2003", null, true, null, null, null, 0, null);
        ext(db, t, "2004", "SIP/2004", null, false, "2001", null, null, 0, null);
        ext(db, t, "2005", "SIP/2005", null, false, "0033111222", null, null, 0, null);
        long e2006 = ext(db, t, "2006", "SIP/2006", null, false, null, null, null, 0, null);
        ext(db, t, "2007", "SIP/2007", null, false, null, "2006", "0033999888", 0, null);

        long g700 = db.insert(
                "INSERT INTO ring_group (tenant_id, number, name, strategy, ring_time, no_answer_type,"
                        + " no_answer_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                t,
                "700",
                "All",
                "RINGALL",
                30,
                "HANGUP",
                "19");
        member(db, g700, 1, e2001);
        member(db, g700, 2, e2002);
        member(db, g700, 3, e2006);
        long g701 = db.insert(
                "INSERT INTO ring_group (tenant_id, number, name, strategy, ring_time, no_answer_type,"
                        + " no_answer_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                t,
                "701",
                "Hunt",
                "HUNT",
                12,
                "PLAYBACK",
                "vm-goodbye");
        member(db, g701, 1, e2002);
        member(db, g701, 2, e2001);
        member(db, g701, 3, e2006);
        db.insert(
                "INSERT INTO call_queue (tenant_id, name, asterisk_queue, max_wait, fail_type, fail_ref)"
                        + " VALUES (?, ?, ?, ?, ?, ?)",
                t,
                "lab-q",
                "lab-support",
                120,
                "VOICEMAIL",
                "2001");

        long tc = db.insert(
                "INSERT INTO time_condition (tenant_id, name, time_zone, match_type, match_ref, else_type,"
                        + " else_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                t,
                "lab-hours",
                null,
                "EXTENSION",
                "2001",
                "ROUTE",
                "closed");
        for (int day = 1; day <= 5; day++) {
            db.insert(
                    "INSERT INTO time_range (time_condition_id, day_of_week, start_time, end_time) VALUES (?, ?, ?, ?)",
                    tc,
                    day,
                    "09:00:00",
                    "17:00:00");
        }
        db.insert(
                "INSERT INTO time_exception (time_condition_id, on_date, is_open, name) VALUES (?, ?, ?, ?)",
                tc,
                "2026-11-26",
                false,
                "Thanksgiving");
        db.insert(
                "INSERT INTO time_exception (time_condition_id, on_date, is_open, name, start_time, end_time)"
                        + " VALUES (?, ?, ?, ?, ?, ?)",
                tc,
                "2026-12-24",
                true,
                "Christmas Eve: mornings only",
                "09:00:00",
                "12:00:00");
        db.insert(
                "INSERT INTO time_exception (time_condition_id, on_date, is_open, name, start_time, end_time)"
                        + " VALUES (?, ?, ?, ?, ?, ?)",
                tc,
                "2026-12-31",
                false,
                "New Year's Eve: closed from 13:00",
                "13:00:00",
                "24:00:00");

        inbound(db, t, "exact", "5000", null, 10, "EXTENSION", "2001");
        inbound(db, t, "vip", "5000", "5551212", 10, "PLAYBACK", "welcome-vip");
        inbound(db, t, "national", "_NXXNXXXXXX", null, 20, "RING_GROUP", "700");
        inbound(db, t, "single", "_[1-5]", null, 20, "VOICEMAIL", "2001");
        inbound(db, t, "hunt", "7010", null, 20, "RING_GROUP", "701");
        inbound(db, t, "office", "6000", null, 20, "ROUTE", "hours");
        inbound(db, t, "hours", null, null, 20, "TIME_CONDITION", "lab-hours");
        inbound(db, t, "closed", null, null, 20, "PLAYBACK", "closed");
        inbound(db, t, "queue", "6100", null, 20, "QUEUE", "lab-q");
        inbound(db, t, "busy-tone", "6200", null, 20, "HANGUP", "17");
        inbound(db, t, "catchall", "_X.", null, 1000, "HANGUP", "1");

        long t1 = db.insert(
                "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)", t, "t1", "PJSIP/{number}@t1");
        long t2 = db.insert(
                "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)", t, "t2", "PJSIP/{number}@t2");
        long t3 = db.insert(
                "INSERT INTO trunk (tenant_id, name, dial_string) VALUES (?, ?, ?)", t, "t3", "PJSIP/{number}@t3");
        long cheap = outbound(db, t, "cheap", 1, null, null);
        pattern(db, cheap, "_0044.", 0, "");
        trunk(db, cheap, 1, t3);
        long intl = outbound(db, t, "intl", 5, "2125550000", "LAB");
        pattern(db, intl, "_00.", 2, "+");
        trunk(db, intl, 1, t1);
        trunk(db, intl, 2, t2);
        trunk(db, intl, 3, t3);
        long local = outbound(db, t, "local", 10, null, null);
        pattern(db, local, "_9NXXXXXX", 1, "1212");
        trunk(db, local, 1, t2);

        db.insert("INSERT INTO blocked_caller (tenant_id, pattern, reason) VALUES (?, ?, ?)", t, "5550666", "nuisance");
        db.insert("INSERT INTO blocked_caller (tenant_id, pattern, reason) VALUES (?, ?, ?)", t, "_1900.", "premium");
    }

    private static long ext(
            TestDatabase db,
            long t,
            String number,
            String endpoint,
            String box,
            boolean dnd,
            String fa,
            String fb,
            String fn,
            int limit,
            String outCid)
            throws SQLException {
        return db.insert(
                "INSERT INTO extension (tenant_id, number, endpoint, voicemail_box, dnd, forward_always,"
                        + " forward_busy, forward_no_answer, ring_time, call_limit, outbound_caller_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                t,
                number,
                endpoint,
                box,
                dnd,
                fa,
                fb,
                fn,
                25,
                limit,
                outCid);
    }

    private static void member(TestDatabase db, long g, int pos, long e) throws SQLException {
        db.insert("INSERT INTO ring_group_member (ring_group_id, position, extension_id) VALUES (?, ?, ?)", g, pos, e);
    }

    static void inbound(TestDatabase db, long t, String name, String did, String cid, int prio, String type, String ref)
            throws SQLException {
        db.insert(
                "INSERT INTO inbound_route (tenant_id, name, did_pattern, caller_id_pattern, priority, dest_type,"
                        + " dest_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
                t,
                name,
                did,
                cid,
                prio,
                type,
                ref);
    }

    private static long outbound(TestDatabase db, long t, String name, int prio, String cid, String cidName)
            throws SQLException {
        return db.insert(
                "INSERT INTO outbound_route (tenant_id, name, priority, caller_id_number, caller_id_name)"
                        + " VALUES (?, ?, ?, ?, ?)",
                t,
                name,
                prio,
                cid,
                cidName);
    }

    private static void pattern(TestDatabase db, long r, String p, int strip, String prepend) throws SQLException {
        db.insert(
                "INSERT INTO outbound_pattern (outbound_route_id, pattern, strip_digits, prepend) VALUES (?, ?, ?, ?)",
                r,
                p,
                strip,
                prepend);
    }

    private static void trunk(TestDatabase db, long r, int pos, long k) throws SQLException {
        db.insert(
                "INSERT INTO outbound_route_trunk (outbound_route_id, position, trunk_id) VALUES (?, ?, ?)", r, pos, k);
    }
}
