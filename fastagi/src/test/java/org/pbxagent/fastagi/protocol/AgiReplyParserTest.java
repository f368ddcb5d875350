package org.pbxagent.fastagi.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reply lines exactly as the recorded Asterisk 20 sent them. */
class AgiReplyParserTest {
    @Test
    void plainResult() throws Exception {
        AgiReply r = AgiReplyParser.parseLine("200 result=1");
        assertEquals(200, r.status());
        assertEquals(1, r.result());
        assertNull(r.data());
        assertEquals(AgiReply.NO_ENDPOS, r.endpos());
    }

    @Test
    void resultWithData() throws Exception {
        AgiReply r = AgiReplyParser.parseLine("200 result=1 (SIP/127.0.0.1-00000005)");
        assertEquals("SIP/127.0.0.1-00000005", r.data());
        assertEquals(
                "5551234-100",
                AgiReplyParser.parseLine("200 result=1 (5551234-100)").data());
        assertEquals("Up", AgiReplyParser.parseLine("200 result=1 (Up)").data());
    }

    @Test
    void dataHoldingParenthesesAndEndpos() throws Exception {
        AgiReply r = AgiReplyParser.parseLine("200 result=1 (a (b) c) endpos=77");
        assertEquals("a (b) c", r.data());
        assertEquals(77, r.endpos());
    }

    @Test
    void negativeResultWithEndpos() throws Exception {
        AgiReply r = AgiReplyParser.parseLine("200 result=-1 endpos=0");
        assertEquals(-1, r.result());
        assertEquals(0, r.endpos());
        assertEquals(-2, AgiReplyParser.parseLine("200 result=-2").result());
    }

    @Test
    void errorReplies() throws Exception {
        AgiReply r = AgiReplyParser.parseLine("510 Invalid or unknown command");
        assertEquals(510, r.status());
        assertEquals(AgiReply.NO_RESULT, r.result());
        assertEquals(
                511,
                AgiReplyParser.parseLine("511 Command Not Permitted on a dead channel or intercept routine")
                        .status());
    }

    @Test
    void multiLineUsage() throws Exception {
        AgiReplyParser p = new AgiReplyParser();
        assertNull(p.accept("520-Invalid command syntax.  Proper usage follows:"));
        assertTrue(p.inUsageBlock());
        assertNull(p.accept("Sets a variable to the current channel."));
        AgiReply r = p.accept("520 End of proper usage.");
        assertEquals(520, r.status());
        assertEquals("Sets a variable to the current channel.", r.usage());
        assertEquals(
                "520-Invalid command syntax.  Proper usage follows:\nSets a variable to the current channel.\n"
                        + "520 End of proper usage.",
                r.text());
        assertEquals(1, p.accept("200 result=1").result(), "the parser is ready for the next reply");
    }

    @Test
    void hangupLineIsNotAReply() {
        assertTrue(AgiReplyParser.isHangup("HANGUP"));
        assertTrue(!AgiReplyParser.isHangup("200 result=1"));
    }

    @Test
    void junkIsRejected() {
        assertThrows(AgiProtocolException.class, () -> AgiReplyParser.parseLine("hello"));
        assertThrows(AgiProtocolException.class, () -> AgiReplyParser.parseLine("2000 result=1"));
        assertThrows(AgiProtocolException.class, () -> AgiReplyParser.parseLine("200 result=1 (unterminated"));
    }
}
