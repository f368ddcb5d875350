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
        for (String v : List.of(
                "plain",
                "two words",
                "q\"uote",
                "back\\slash",
                "\\\"",
                "tab\there",
                "trailing\\",
                "Zoë Müller",
                "a,b|c;d",
                "${CALLERID(num)}",
                "")) {
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
        assertEquals(
                "x EXEC System reboot  ", AgiCommands.parseWords(line.trim()).get(3));
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
        assertEquals(
                List.of("GET", "FULL", "VARIABLE", "${CALLERID(num)}-${EXTEN}"),
                AgiCommands.parseWords("GET FULL VARIABLE \"${CALLERID(num)}-${EXTEN}\""));
        assertEquals(
                List.of("STREAM", "FILE", "no-such-file", ""), AgiCommands.parseWords("STREAM FILE no-such-file \"\""));
        assertEquals(List.of("EXEC", "Verbose", "1,exec ok"), AgiCommands.parseWords("EXEC Verbose \"1,exec ok\""));
    }

    /** Values that must reach the dialplan byte for byte through res_agi's word splitting and MSet's own. */
    private static final List<String> HARD_VALUES = List.of(
            "plain",
            "a,b,c",
            "say \"hi\"",
            "back\\slash",
            "end\\",
            "\\\"",
            "a|b|c",
            "a;b",
            "two  words ",
            "  lead",
            "",
            "café 你好 😀",
            "f(x,y)",
            "[p,q])",
            "(unbalanced",
            "a=b=c",
            "${EXTEN}",
            "it's",
            "tab\there",
            "C:\\dir\\n",
            "\u001f",
            " a, \"b\" \\c|d;e=${X}(f)[g]{h}\t\u001fé ");

    @Test
    void execMSetValuesReachTheDialplanExactly() {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < HARD_VALUES.size(); i++) {
            names.add("V" + i);
        }
        String line = AgiCommands.execMSet(names, HARD_VALUES);
        assertEquals(1, line.chars().filter(c -> c == '\n').count());
        List<String> w = AgiCommands.parseWords(line.substring(0, line.length() - 1));
        assertEquals(3, w.size(), "res_agi passes one argument word to the application: " + w);
        assertEquals("EXEC", w.get(0));
        assertEquals("MSet", w.get(1));
        List<java.util.Map.Entry<String, String>> set = AgiCommands.msetAssignments(w.get(2));
        assertEquals(HARD_VALUES.size(), set.size(), set.toString());
        for (int i = 0; i < HARD_VALUES.size(); i++) {
            assertEquals(names.get(i), set.get(i).getKey());
            assertEquals(HARD_VALUES.get(i), set.get(i).getValue(), "value " + i);
        }
    }

    @Test
    void execMSetEscapingMatchesWhatAsteriskWasSeenToTake() {
        // Lines observed against Asterisk 20.20.1 and the values it set (AGI-QUOTING.md, section 3).
        assertEquals(
                "EXEC MSet \"a=say \\\\\\\"hi\\\\\\\"\\\\, C:\\\\\\\\d \\\\(x\\\\)\"\n",
                AgiCommands.execMSet(List.of("a"), List.of("say \"hi\", C:\\d (x)")));
        assertEquals(
                "EXEC MSet \"a=\\\\\\\\\\\\\\\"\\\\,\\\\(\\\\)\\\\[\\\\]|\u001f$,b=2\"\n",
                AgiCommands.execMSet(List.of("a", "b"), List.of("\\\",()[]|\u001f$", "2")));
        // MSet's splitting as observed, from the application's argument string.
        assertEquals(
                List.of(java.util.Map.entry("a", "x"), java.util.Map.entry("b", "2")),
                AgiCommands.msetAssignments("a=x,y,b=2"));
        assertEquals(
                List.of(java.util.Map.entry("a", "x,y"), java.util.Map.entry("b", "2")),
                AgiCommands.msetAssignments("a=x\\,y,b=2"));
        assertEquals(List.of(java.util.Map.entry("a", "f(x,b=2")), AgiCommands.msetAssignments("a=f(x,b=2"));
        assertEquals(
                List.of(java.util.Map.entry("a", "1"), java.util.Map.entry(" b", "2")),
                AgiCommands.msetAssignments("a=1, b=2"));
        assertEquals(
                List.of(java.util.Map.entry("a", "x=y"), java.util.Map.entry("b", "2")),
                AgiCommands.msetAssignments("a=x=y,b=2"));
        assertEquals(
                List.of(java.util.Map.entry("a", "C:d"), java.util.Map.entry("b", "2")),
                AgiCommands.msetAssignments("a=C:\\d,b=2"));
        // Unquoted, an extra word is silently dropped by EXEC: the reason the argument is always quoted.
        assertEquals(List.of("EXEC", "MSet", "a=1,", "b=2"), AgiCommands.parseWords("EXEC MSet a=1, b=2"));
    }

    @Test
    void namesMSetCannotTakeAreNotPlain() {
        assertTrue(AgiCommands.isPlainVariableName("ROUTE_ACTION"));
        assertTrue(!AgiCommands.isPlainVariableName("CALLERID(num)"));
        assertTrue(!AgiCommands.isPlainVariableName("A,B"));
        assertTrue(!AgiCommands.isPlainVariableName("A=B"));
    }
}
