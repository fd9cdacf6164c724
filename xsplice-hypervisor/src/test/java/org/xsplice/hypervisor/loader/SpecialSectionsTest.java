package org.xsplice.hypervisor.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * Bug frames and alternatives in payloads (payloads/bugframes.c, made from C with the payload
 * header's WARN_ON/ASSERT/run_in_exception_handler/alternative): registered with the region and
 * applied for the CPU's features when valid; refused with EINVAL naming the section and entry
 * when broken, with nothing left allocated or registered.
 */
class SpecialSectionsTest {
    private static MiniHv hv;
    private static byte[] payload;

    @BeforeAll
    static void build() throws IOException {
        hv = MiniHv.get();
        payload = hv.payload("bugframes");
    }

    /** The mini hypervisor's target, with a featureset: only {@code features} are set. */
    private static HypervisorTarget withFeatures(final int... features) {
        return new ForwardingTarget(hv.target) {
            @Override
            public Optional<BitSet> cpuFeatures() {
                final BitSet b = new BitSet();
                Arrays.stream(features).forEach(b::set);
                return Optional.of(b);
            }
        };
    }

    /** {@return the function's bytes as the loader wrote them} */
    private static byte[] function(final RecordingPort port, final LoadedPayload p) {
        final byte[] image = port.images.get(p.base());
        final var f = p.symbols().stream().filter(s -> s.name().equals("bugframes_major_version")).findFirst()
                .orElseThrow();
        return Arrays.copyOfRange(image, (int) (f.address() - p.base()), (int) (f.address() - p.base() + f.size()));
    }

    private static boolean holds(final byte[] hay, final byte... needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return true;
            }
        }
        return false;
    }

    private static final byte[] XOR_PADDED = {0x31, (byte) 0xc0, (byte) 0x90, (byte) 0x90, (byte) 0x90};
    private static final byte[] MOV_4 = {(byte) 0xb8, 4, 0, 0, 0};

    @Test
    void framesAreRegisteredAndAlternativesFollowTheFeatures() throws IOException {
        final RecordingPort port = new RecordingPort(hv.target);
        final LoadedPayload with = new PayloadRegistry(new PayloadLoader(withFeatures(0)), port)
                .upload("with", payload);
        assertEquals(List.of(1, 1, 1), with.bugFrames().stream().map(BugFrameTable::count).toList());
        assertEquals(List.of(BugFrameTable.RUN_FN, BugFrameTable.WARN, BugFrameTable.ASSERT),
                with.bugFrames().stream().map(BugFrameTable::type).toList());
        assertEquals(with.bugFrames(), port.regions.get("with").bugFrames(), "registered with the region");
        for (final BugFrameTable t : with.bugFrames()) {
            assertTrue(t.address() >= with.roAddr() && t.address() < with.roAddr() + with.roSize(),
                    "frames stay in the payload's read-only memory");
        }
        assertTrue(holds(function(port, with), MOV_4) && !holds(function(port, with), XOR_PADDED), "mov $4, %eax patched in");

        final RecordingPort port2 = new RecordingPort(hv.target);
        final LoadedPayload without = new PayloadRegistry(new PayloadLoader(withFeatures(5)), port2)
                .upload("without", payload);
        assertTrue(holds(function(port2, without), XOR_PADDED) && !holds(function(port2, without), MOV_4),
                "xor %eax, %eax and its padding kept");
    }

    private static void refuse(final byte[] broken, final String... fragments) {
        final RecordingPort port = new RecordingPort(hv.target);
        final PayloadRegistry registry = new PayloadRegistry(new PayloadLoader(withFeatures(0)), port);
        final var free = registry.area().freeRanges();
        final PayloadException e = assertThrows(PayloadException.class, () -> registry.upload("bad", broken));
        assertEquals(Errno.EINVAL, e.errno(), e.toString());
        for (final String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
        assertEquals(free, registry.area().freeRanges(), "nothing left allocated");
        assertTrue(port.regions.isEmpty(), "nothing registered");
    }

    private static byte[] addend(final String rela, final int i, final long delta) {
        final long r = Bytes.relocation(payload, rela, i);
        return Bytes.put(payload, r + 16, 8, Bytes.get(payload, r + 16, 8) + delta);
    }

    @Test
    void warnSectionSizeNotAMultipleOfItsEntry() {
        refuse(Bytes.put(payload, Bytes.header(payload, ".bug_frames.1") + 32, 8, 12),
                "section .bug_frames.1 has size 12, expected a multiple of 8");
    }

    @Test
    void assertSectionSizeNotAMultipleOfItsEntry() {
        refuse(Bytes.put(payload, Bytes.header(payload, ".bug_frames.3") + 32, 8, 24),
                "section .bug_frames.3 has size 24, expected a multiple of 16", "ASSERT");
    }

    @Test
    void frameOutsideTheText() {
        refuse(addend(".rela.bug_frames.1", 0, 0x100000), "section .bug_frames.1 entry 0", "is not in the payload's text");
    }

    @Test
    void frameNotOnAUd2() {
        refuse(addend(".rela.bug_frames.1", 0, -1), "section .bug_frames.1 entry 0", "is not ud2");
    }

    @Test
    void fileNameOutsideThePayload() {
        refuse(addend(".rela.bug_frames.1", 1, 0x200000), "section .bug_frames.1 entry 0 file name",
                "outside the payload's memory");
    }

    @Test
    void runFnNotAFunction() {
        refuse(addend(".rela.bug_frames.0", 1, 0x300000), "section .bug_frames.0 entry 0",
                "neither in the payload's text nor a known function");
    }

    @Test
    void alternativeReplacementLongerThanTheOriginal() {
        final long entry = Bytes.section(payload, ".altinstructions").offset();
        // orig_len 1 and no padding: the 5-byte replacement no longer fits.
        refuse(Bytes.put(Bytes.put(payload, entry + 10, 1, 1), entry + 12, 1, 0),
                "section .altinstructions entry 0", "replacement of 5 bytes does not fit the original's 1 + 0");
    }

    @Test
    void alternativeFeatureOutsideTheFeatureset() {
        refuse(Bytes.put(payload, Bytes.section(payload, ".altinstructions").offset() + 8, 2, 0xffff),
                "section .altinstructions entry 0", "CPU feature 65535 is outside the featureset");
    }

    @Test
    void alternativeOriginalOutsideTheText() {
        refuse(addend(".rela.altinstructions", 0, 0x100000), "section .altinstructions entry 0",
                "original instruction", "is not inside the payload's text");
    }

    @Test
    void alternativesSizeNotAMultipleOfTheEntry() {
        refuse(Bytes.put(payload, Bytes.header(payload, ".altinstructions") + 32, 8, 13),
                "section .altinstructions has size 13, expected a multiple of 14");
    }
}
