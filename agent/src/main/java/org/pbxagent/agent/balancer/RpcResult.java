package org.pbxagent.agent.balancer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * Outcome of one JSON-RPC call to one Kamailio.
 *
 * @param outcome    what happened, coarse enough to act on
 * @param result     the JSON-RPC {@code result} member when {@link Outcome#OK}, otherwise null
 * @param httpStatus HTTP status, 0 when no HTTP answer arrived
 * @param message    one line for logs and /status: the Kamailio's error text, or why no answer came
 */
public record RpcResult(Outcome outcome, JsonNode result, int httpStatus, String message) {

    public enum Outcome {
        /** A JSON-RPC result arrived. */
        OK,
        /** Kamailio answered with a JSON-RPC error object (e.g. unknown destination, unknown method). */
        RPC_ERROR,
        /** An HTTP error status without a JSON-RPC body (403 from the allow list, 404, 400 on bad JSON). */
        HTTP_ERROR,
        /** An answer that is not JSON-RPC 2.0. */
        BAD_RESPONSE,
        /** No answer within the request timeout. */
        TIMEOUT,
        /** Connection refused or broken: the Kamailio is down or the address is wrong. */
        UNREACHABLE
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }

    /** True when the Kamailio itself answered (reachable), whatever the answer was. */
    public boolean answered() {
        return outcome == Outcome.OK
                || outcome == Outcome.RPC_ERROR
                || outcome == Outcome.HTTP_ERROR
                || outcome == Outcome.BAD_RESPONSE;
    }

    @Override
    public String toString() {
        return outcome == Outcome.OK ? "ok" : outcome.name().toLowerCase(Locale.ROOT) + ": " + message;
    }
}
