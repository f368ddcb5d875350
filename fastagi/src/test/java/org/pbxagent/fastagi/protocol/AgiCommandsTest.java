package org.pbxagent.fastagi.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class AgiCommandsTest {
    @Test
    void setVariableIsWrittenAsRecorded() {
        assertEquals("SET VARIABLE ROUTE_ACTION \"DIAL\"\n", AgiCommands.setVariable("ROUTE_ACTION", "DIAL"));
        assertEquals("SET VARIABLE ROUTE_TARGET \"SIP/1001\"\n", AgiCommands.setVariable("ROUTE_TARGET", "SIP/1001"));
        assertEquals("SET VARIABLE X \"\"\n", AgiCommands.setVariable("X", ""));
    }

    @Test
    void valuesRoundTripThroughResAgiWordSplitting() {
        for (String v : List.of("plain", "two words", "q\"uote", "back\\slash", "\\\"", "tab\there", "trailing\\",
                "Zoë Müller", "a,b|c;d", "${CALLERID(num)}", "")) {
            String line = AgiCommands.setVariable("V", v);
            List<String> w = AgiCommands.parseWords(line.substring(0, line.length() - 1));
            assertEquals(List.of("SET", "VARIABLE", "V", v), w, line);
        }
    }

    @Test
    void lineEndsInValuesCannotStartANewCommand() {
        String line = AgiCommands.setVariable("V", "x\nEXEC System reboot\r\n");
        assertEquals(1, line.chars().filter(c -> c == '\n').count());
        assertTrue(line.endsWith("\"\n"));
        assertEquals("x EXEC System reboot  ", AgiCommands.parseWords(line.trim()).get(3));
    }

    @Test
    void variableNames() {
        assertTrue(AgiCommands.isValidVariableName("ROUTE_ACTION"));
        assertTrue(AgiCommands.isValidVariableName("CHANNEL(language)"));
        assertTrue(!AgiCommands.isValidVariableName("A B"));
        assertTrue(!AgiCommands.isValidVariableName("A\"B"));
        assertTrue(!AgiCommands.isValidVariableName("A\nB"));
        assertTrue(!AgiCommands.isValidVariableName(""));
    }

    @Test
    void recordedCommandsSplitLikeResAgi() {
        assertEquals(List.of("GET", "FULL", "VARIABLE", "${CALLERID(num)}-${EXTEN}"),
                AgiCommands.parseWords("GET FULL VARIABLE \"${CALLERID(num)}-${EXTEN}\""));
        assertEquals(List.of("STREAM", "FILE", "no-such-file", ""), AgiCommands.parseWords("STREAM FILE no-such-file \"\""));
        assertEquals(List.of("EXEC", "Verbose", "1,exec ok"), AgiCommands.parseWords("EXEC Verbose \"1,exec ok\""));
    }
}
