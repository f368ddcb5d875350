package org.pbxagent.fastagi.routing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AsteriskPatternTest {
    static boolean m(String pattern, String value) {
        return AsteriskPattern.compile(pattern).matches(value);
    }

    @Test
    void asteriskPatternSyntax() {
        assertTrue(m("_X.", "12"));
        assertFalse(m("_X.", "1"), ". needs at least one more character");
        assertTrue(m("_X!", "1"), "! allows none");
        assertTrue(m("_NXXNXXXXXX", "2125551234"));
        assertFalse(m("_NXXNXXXXXX", "1125551234"));
        assertFalse(m("_NXXNXXXXXX", "21255512345"), "no trailing wildcard: exact length");
        assertTrue(m("_Z", "9"));
        assertFalse(m("_Z", "0"));
        assertTrue(m("_[1-5]", "3"));
        assertFalse(m("_[1-5]", "6"));
        assertTrue(m("_[13-5*]X", "*0"));
        assertTrue(m("_555-12XX", "5551234"), "dash is a separator");
        assertTrue(m("555-1234", "5551234"), "dash is a separator in a plain value too, as in Asterisk");
        assertTrue(m("1-2-3", "123"));
        assertFalse(m("555-1234", "55512345"));
        assertTrue(m("_0900.", "09001"));
        assertFalse(m("_0900.", "0900"));
        assertTrue(m("100", "100"));
        assertFalse(m("100", "1000"));
        assertFalse(m("[1-5]", "3"), "without _ it is a literal, as in Asterisk");
        assertFalse(m("_X.", null));
        assertFalse(m("_XX", "1\u00e9"), "non-ASCII never matches a digit class");
        assertTrue(m("_X.", "1\u00e9"), ". takes any character, as in Asterisk");
    }

    @Test
    void malformedPatternsAreRefusedWithTheReason() {
        for (String bad : new String[] {"", "_", "_[5-", "_[]", "_X.X", "_[9-1]", "_ab]", "1 0", "--"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> AsteriskPattern.compile(bad), bad);
            assertFalse(e.getMessage().isBlank());
        }
    }
}
