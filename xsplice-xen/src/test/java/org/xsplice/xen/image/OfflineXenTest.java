package org.xsplice.xen.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfSection;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.payload.Errno;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.PayloadSections;
import org.xsplice.payload.PayloadException;
import org.xsplice.xen.offline.OfflineXen;
import org.xsplice.xen.offline.XenImageTarget;

/**
 * Xen 4.17's verdicts offline, on a wrapper linked by the real toolchain and payloads made by
 * the C payload maker for it: old_addr pinned from the table, statics as new symbols, the
 * applied stack's depends, and expectations against the text as earlier payloads left it.
 */
class OfflineXenTest
{
    @TempDir
    static Path dir;

    private static XenImageTarget xen;

    @BeforeAll
    static void link() throws Exception
    {
        xen = XenImageTargetTest.target(dir.resolve("xen"), "\t.skip 16", List.of());
    }

    private static byte[] payload(final String name, final String body, final Optional<BuildId> depends)
        throws Exception
    {
        final Path src = Files.writeString(dir.resolve(name + ".c"), "#include <xsplice/livepatch.h>\n" + body);
        final Path out = dir.resolve(name + ".livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, xen, out, depends, List.of()));
        return Files.readAllBytes(out);
    }

    private static byte[] hello(final String name, final String text) throws Exception
    {
        return payload(name, """
            static const char %1$s_text[] = "%2$s";
            const char *xen_%1$s(void) { return %1$s_text; }
            XSPLICE_PATCH(xen_extra_version, xen_%1$s);
            """.formatted(name, text), Optional.empty());
    }

    /** The first entry's {@code old_addr} as the file holds it (it has no relocation). */
    private static long rawOldAddr(final byte[] payload)
    {
        final ElfSection funcs = Elf.of().parse(payload).section(PayloadSections.FUNCS).orElseThrow();
        return ByteBuffer.wrap(funcs.bytes()).order(ByteOrder.LITTLE_ENDIAN).getLong(LivepatchFunc.OLD_ADDR_OFFSET);
    }

    @Test
    void payloadsStackAndExpectationsSeeWhatTheStackBelowWrote() throws Exception
    {
        final OfflineXen x = new OfflineXen(xen);
        final long extra = xen.symbols().lookup("xen_extra_version").orElseThrow().address();
        final byte[] helloBytes = hello("hello", "Hello World");
        assertEquals(extra, rawOldAddr(helloBytes), "old_addr pinned from the embedded table");
        final LoadedPayload hello = x.upload("hello", helloBytes);
        assertEquals(extra, hello.funcs().getFirst().oldAddr());
        assertEquals(32, hello.funcs().getFirst().oldSize(), "old_size: distance to the next symbol");
        x.apply("hello", false);

        // Built on the image, not on hello: refused at apply, and --nodeps skips exactly that.
        x.upload("other", hello("other", "Other"));
        final PayloadException dep = assertThrows(PayloadException.class, () -> x.apply("other", false));
        assertEquals(Errno.EINVAL, dep.errno());
        assertTrue(dep.getMessage().contains("payload 'hello'"), dep.getMessage());

        // Stacked on hello, expecting the image's original bytes: hello's jump is there now.
        x.upload("expect", payload("expect", """
            static const char expect_text[] = "Expect";
            const char *xen_expect(void) { return expect_text; }
            XSPLICE_PATCH_EXPECT(xen_extra_version, xen_expect, 0x48, 0x8d, 0x05, 0x18, 0xbb);
            """, Optional.of(hello.buildId())));
        final PayloadException exp = assertThrows(PayloadException.class, () -> x.apply("expect", false));
        assertEquals(Errno.EINVAL, exp.errno());
        assertTrue(exp.getMessage().contains("expected 488d0518bb, actual e9"), exp.getMessage());
        x.apply("other", true);
    }

    @Test
    void staticsAreNewSymbolsAndClashAcrossPayloads() throws Exception
    {
        final OfflineXen x = new OfflineXen(xen);
        final String shared = """
            static const char shared_text[] = "%1$s";
            const char *xen_%1$s(void) { return shared_text; }
            XSPLICE_PATCH(xen_extra_version, xen_%1$s);
            """;
        x.upload("a", payload("a", shared.formatted("a"), Optional.empty()));
        final PayloadException e = assertThrows(PayloadException.class,
            () -> x.upload("b", payload("b", shared.formatted("b"), Optional.empty())));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("'shared_text' is already exported by payload 'a'"), e.getMessage());
        assertEquals(List.of("a"), x.loaded().stream().map(LoadedPayload::name).toList(), "b is not loaded");
    }

    @Test
    void aStaticOfTheImageResolvesByFileAndNameAndOldAddrStaysZeroByName() throws Exception
    {
        final OfflineXen x = new OfflineXen(xen);
        final byte[] byName = payload("by_name", """
            extern const char kernel_extra[] XSPLICE_SYMBOL("common/kernel.c#extra");
            const char *xen_by_name(void) { return kernel_extra; }
            XSPLICE_PATCH_BY_NAME(xen_extra_version, xen_by_name);
            """, Optional.empty());
        assertEquals(0, rawOldAddr(byName), "XSPLICE_PATCH_BY_NAME keeps old_addr 0");
        final LoadedPayload p = x.upload("by_name", byName);
        assertEquals(xen.symbols().lookup("xen_extra_version").orElseThrow().address(),
                     p.funcs().getFirst().oldAddr(), "resolved by name at upload");
        final PayloadException e = assertThrows(PayloadException.class, () -> x.upload("missing", payload("missing", """
            extern const char nothing[] XSPLICE_SYMBOL("common/kernel.c#nothing");
            const char *xen_missing(void) { return nothing; }
            XSPLICE_PATCH(xen_extra_version, xen_missing);
            """, Optional.empty())));
        assertEquals(Errno.ENOENT, e.errno());
    }
}
