package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hypervisor.symbols.Symbol;

/** The image as the build makes it: flags recorded, statics per file, rebuilt when missing. */
class HvImageTest {
    @TempDir
    Path tmp;

    @Test
    void locateBuildsTheImageWhenItIsMissing() throws Exception {
        final Path out = tmp.resolve("hv/xen-syms");
        final Path found = HvImage.locate(Map.of("XSPLICE_HV_BINARY", out.toString()));
        assertEquals(out, found);
        assertTrue(Files.isExecutable(out));
        final HvImage img = HvImage.read(out);
        final String flags = img.stringConstant("xen_compile_flags").orElseThrow();
        for (final String f : new String[] {"-O2", "-ffunction-sections", "-fdata-sections", "-fno-omit-frame-pointer", "-fpie"}) {
            assertTrue(flags.contains(f), flags);
        }
        // Static functions are named file#symbol; the reserved area is inside the image.
        final Symbol key = img.symbols().lookup("keyhandler.c#do_crash_key").orElseThrow();
        assertEquals(Symbol.Kind.FUNCTION, key.kind());
        final Symbol area = img.symbols().lookup("xsplice_payload_area").orElseThrow();
        assertEquals(64L << 20, area.size());
        assertEquals(0, area.address() % 4096);
        final long text = img.symbols().lookup("do_domctl").orElseThrow().address();
        assertTrue(Math.abs(area.address() + area.size() - text) < (1L << 31), "whole area within rel32 of the text");
        assertTrue(img.elf().section(".ex_table").isPresent());
    }

    @Test
    void aRebuildWithTheSameDateAndChangesetIsByteIdentical() throws Exception {
        final Path sources = Path.of(System.getProperty("xsplice.hv.sources"));
        final Map<String, String> pin = Map.of("SOURCE_DATE_EPOCH", "1700000000", "XEN_CHANGESET", "pinned");
        HvImage.build(sources, tmp.resolve("one"), pin);
        HvImage.build(sources, tmp.resolve("two"), pin);
        final byte[] one = Files.readAllBytes(tmp.resolve("one/xen-syms"));
        assertTrue(java.util.Arrays.equals(one, Files.readAllBytes(tmp.resolve("two/xen-syms"))), "identical images");
        final HvImage img = HvImage.read(tmp.resolve("one/xen-syms"));
        assertEquals(HvImage.read(tmp.resolve("two/xen-syms")).buildId().hex(), img.buildId().hex());
        final String text = new String(one, java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("Tue Nov 14 22:13:20 UTC 2023\0"), "compile date from SOURCE_DATE_EPOCH");
        assertTrue(text.contains("\0pinned\0"), "changeset as given");
    }
}
