package org.pbxagent.agent.ami;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages Asterisk 20 sent in the recorded sessions (asterisk-20/ami-session.txt and ami-shutdown.txt), kept
 * byte for byte with their {@code \r\n} line ends. The AMI peer answers with these bytes, changing only what the
 * protocol requires to change (the client's ActionID) or what the scenario varies (channel names, counts).
 */
public final class AmiRecording {
    /** Received messages in wire order, each including its terminating empty line. */
    public final List<String> messages = new ArrayList<>();

    public final String banner;
    public final List<String> shutdownMessages = new ArrayList<>();

    private AmiRecording(String session, String shutdown) {
        this.banner = parse(session, messages);
        parse(shutdown, shutdownMessages);
    }

    public static AmiRecording load() {
        return new AmiRecording(resource("/asterisk-20/ami-session.txt"), resource("/asterisk-20/ami-shutdown.txt"));
    }

    static String resource(String name) {
        try (InputStream in = AmiRecording.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Collects the received ("\r\n") text between markers into messages; returns the banner line with its CRLF. */
    private static String parse(String text, List<String> into) {
        String banner = null;
        boolean received = false;
        StringBuilder cur = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("#####") || line.startsWith("<<EOF")) {
                received = line.startsWith("##### <<< received")
                        || line.startsWith("##### (listening")
                        || line.startsWith("##### (CLI")
                        || line.startsWith("##### >>> sent Login");
                if (line.startsWith("##### >>> sent") && !line.startsWith("##### >>> sent Login")) {
                    received = false;
                }
                continue;
            }
            if (!line.endsWith("\r")) {
                // Lines the client sent are recorded with bare \n; a banner has \r\n.
                continue;
            }
            if (line.startsWith("Asterisk Call Manager/")) {
                banner = line + "\n";
                continue;
            }
            if (!received) {
                continue;
            }
            cur.append(line).append('\n');
            if (line.equals("\r")) {
                into.add(cur.toString());
                cur.setLength(0);
            }
        }
        return banner;
    }

    /** The first recorded message that contains every one of the given lines (without line ends). */
    public String find(String... lines) {
        return find(messages, lines);
    }

    public String findShutdown(String... lines) {
        return find(shutdownMessages, lines);
    }

    private static String find(List<String> list, String... lines) {
        for (String m : list) {
            boolean all = true;
            for (String l : lines) {
                if (!m.startsWith(l + "\r\n") && !m.contains("\r\n" + l + "\r\n")) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return m;
            }
        }
        throw new IllegalStateException("no recorded message with " + String.join(" / ", lines));
    }

    /** The recorded messages between two recorded messages (exclusive), in order. */
    public List<String> between(String first, String last) {
        int a = messages.indexOf(first);
        int b = messages.indexOf(last);
        return new ArrayList<>(messages.subList(a + 1, b));
    }

    /** Replaces the recorded ActionID with the client's, or drops the line when the client sent none. */
    public static String withActionId(String message, String recordedId, String clientId) {
        String line = "ActionID: " + recordedId + "\r\n";
        return message.replace(line, clientId == null ? "" : "ActionID: " + clientId + "\r\n");
    }
}
