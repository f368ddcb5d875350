package org.pbxagent.storage.iscsi;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class IscsiSettingsTest {
    private static final String SECRET = "twelve-chars";

    private static IscsiSettings settings(String user, String secret) {
        return new IscsiSettings(
                IscsiName.parse("iqn.2026-11.org.pbxagent:shared"),
                List.of("10.0.10.5:3260"),
                1,
                null,
                user,
                secret,
                Duration.ofSeconds(1),
                Duration.ofSeconds(1));
    }

    @Test
    void chapIsBothValuesOrNeither() {
        assertFalse(settings(null, null).chap());
        assertEquals("pbx1", settings("pbx1", SECRET).chapUser());
        IscsiSettings.ChapException noUser =
                assertThrows(IscsiSettings.ChapException.class, () -> settings(null, SECRET));
        assertEquals(IscsiSettings.ChapValue.USER, noUser.value());
        IscsiSettings.ChapException noSecret =
                assertThrows(IscsiSettings.ChapException.class, () -> settings("pbx1", null));
        assertEquals(IscsiSettings.ChapValue.SECRET, noSecret.value());
        assertEquals(
                IscsiSettings.ChapValue.USER,
                assertThrows(IscsiSettings.ChapException.class, () -> settings(" ", SECRET))
                        .value());
    }

    @Test
    void aShortSecretIsRefusedWithoutRepeatingIt() {
        String shortSecret = SECRET.substring(1);
        IscsiSettings.ChapException e =
                assertThrows(IscsiSettings.ChapException.class, () -> settings("pbx1", shortSecret));
        assertEquals(IscsiSettings.ChapValue.SECRET, e.value());
        assertEquals("expected a secret of at least 12 characters, got 11", e.getMessage());
        assertDoesNotThrow(() -> settings("pbx1", SECRET));
        assertFalse(settings("pbx1", SECRET).toString().contains(SECRET), "toString shows the secret");
    }
}
