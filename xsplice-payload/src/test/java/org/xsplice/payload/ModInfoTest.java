package org.xsplice.payload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ModInfoTest {
    @Test
    void parsesAndEncodesKeyValueStrings() {
        final byte[] raw = "version=1\0desc=hello world\0\0".getBytes(StandardCharsets.UTF_8);
        final ModInfo m = ModInfo.parse(raw);
        assertEquals(List.of(new ModInfo.Entry("version", "1"), new ModInfo.Entry("desc", "hello world")), m.entries());
        assertEquals(Optional.of("hello world"), m.get("desc"));
        assertEquals("version=1;desc=hello world", m.metadata());
        assertArrayEquals("version=1\0desc=hello world\0".getBytes(StandardCharsets.UTF_8), m.encode());
    }

    @Test
    void refusesMissingTerminatorAndBareStrings() {
        assertThrows(PayloadException.class, () -> ModInfo.parse("a=b".getBytes(StandardCharsets.UTF_8)));
        assertThrows(PayloadException.class, () -> ModInfo.parse(new byte[0]));
        final PayloadException e = assertThrows(PayloadException.class,
                () -> ModInfo.parse("a=b\0junk\0".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("section .modinfo: string at offset 4 is not key=value: 'junk'", e.getMessage());
    }

    @Test
    void hookSizesFollowXen() {
        Hook.LOAD.checkSize(16);
        Hook.PRE_APPLY.checkSize(8);
        assertThrows(PayloadException.class, () -> Hook.PRE_APPLY.checkSize(16));
        assertThrows(PayloadException.class, () -> Hook.UNLOAD.checkSize(12));
        assertThrows(PayloadException.class, () -> Hook.LOAD.checkSize(0));
        assertEquals(Optional.of(Hook.POST_REVERT), Hook.ofSection(".livepatch.hooks.postrevert"));
    }

    @Test
    void errnoNamesAndNumbers() {
        assertEquals("EOVERFLOW", Errno.nameOf(-75));
        assertEquals("EKEYREJECTED (Key was rejected by service)", Errno.describe(129));
        assertEquals("errno 999", Errno.nameOf(999));
    }
}
