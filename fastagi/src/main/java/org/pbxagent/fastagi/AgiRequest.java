package org.pbxagent.fastagi;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What Asterisk sent at the start of one FastAGI session: the {@code agi_*} environment block, the script name taken
 * from {@code agi_network_script} (path part), its query parameters, and the {@code agi_arg_N} arguments in order.
 * Immutable; built once per session by the protocol layer and read by the script.
 */
public final class AgiRequest {
    private final String script;
    private final Map<String, String> parameters;
    private final List<String> arguments;
    private final Map<String, String> environment;

    /**
     * @param script      script name without query string, e.g. {@code route}
     * @param parameters  query-string parameters, URL-decoded
     * @param arguments   {@code agi_arg_1..N} in order
     * @param environment every {@code agi_*} key without the {@code agi_} prefix, e.g. {@code callerid}, {@code dnid}
     */
    public AgiRequest(
            String script, Map<String, String> parameters, List<String> arguments, Map<String, String> environment) {
        this.script = script;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.arguments = Collections.unmodifiableList(arguments);
        this.environment = Collections.unmodifiableMap(environment);
    }

    public String script() {
        return script;
    }

    /** Query-string parameter, or null. */
    public String parameter(String name) {
        return parameters.get(name);
    }

    public Map<String, String> parameters() {
        return parameters;
    }

    public List<String> arguments() {
        return arguments;
    }

    /** Environment value by key without the {@code agi_} prefix (e.g. {@code "callerid"}), or null. */
    public String env(String key) {
        return environment.get(key);
    }

    public Map<String, String> environment() {
        return environment;
    }

    public String callerIdNumber() {
        return environment.get("callerid");
    }

    public String callerIdName() {
        return environment.get("calleridname");
    }

    public String dnid() {
        return environment.get("dnid");
    }

    public String extension() {
        return environment.get("extension");
    }

    public String channel() {
        return environment.get("channel");
    }

    public String uniqueId() {
        return environment.get("uniqueid");
    }

    @Override
    public String toString() {
        return "AgiRequest{script=" + script + ", parameters=" + parameters + ", arguments=" + arguments + ", channel="
                + channel() + ", uniqueid=" + uniqueId() + '}';
    }
}
