package org.xsplice.payload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class LivepatchFuncTest {

    @Provide
    Arbitrary<LivepatchFunc> funcs() {
        final Arbitrary<Optional<Expectation>> expect = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(31)
                .map(b -> Optional.of(new Expectation(b)));
        return Combinators.combine(Arbitraries.longs(), Arbitraries.longs(), Arbitraries.longs(),
                Arbitraries.integers(), Arbitraries.integers(),
                Arbitraries.oneOf(expect, Arbitraries.just(Optional.<Expectation>empty())))
                .as((n, na, oa, ns, os, e) -> new LivepatchFunc(n, na, oa, ns, os, LivepatchFunc.V2, e));
    }

    @Property
    void v2EncodeDecodeRoundTrips(@ForAll("funcs") final LivepatchFunc f) {
        final byte[] bytes = f.encode();
        assertEquals(LivepatchFunc.V2_SIZE, bytes.length);
        assertEquals(List.of(f), LivepatchFunc.decodeAll(bytes));
    }

    @Property
    void arbitraryBytesDecodeOrFailWithErrno(@ForAll @Size(max = 400) final byte[] section) {
        try {
            final List<LivepatchFunc> decoded = LivepatchFunc.decodeAll(section);
            assertTrue(section.length % LivepatchFunc.sizeOf(decoded.getFirst().version()) == 0);
        } catch (PayloadException e) {
            assertTrue(e.errno() == Errno.EINVAL || e.errno() == Errno.EOPNOTSUPP, e.toString());
        }
    }

    @Test
    void layoutMatchesXensStructOffsets() {
        final LivepatchFunc f = new LivepatchFunc(0x1111, 0x2222, 0x3333, 0x44, 0x55, 2,
                Optional.of(new Expectation(new byte[] {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa})));
        final byte[] b = f.encode();
        assertEquals(0x11, b[0]);
        assertEquals(0x22, b[8]);
        assertEquals(0x33, b[16]);
        assertEquals(0x44, b[24]);
        assertEquals(0x55, b[28]);
        assertEquals(2, b[32]);
        assertEquals(1 | (4 << 1), b[72]);
        assertArrayEquals(new byte[] {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa}, Arrays.copyOfRange(b, 73, 77));
    }

    @Test
    void readsVersion1Entries() {
        final byte[] b = new byte[2 * LivepatchFunc.V1_SIZE];
        b[8] = 0x10;
        b[28] = 9;
        b[32] = 1;
        b[64 + 32] = 1;
        b[64 + 28] = 7;
        final List<LivepatchFunc> fs = LivepatchFunc.decodeAll(b);
        assertEquals(2, fs.size());
        assertEquals(0x10, fs.get(0).newAddr());
        assertEquals(7, fs.get(1).oldSize());
        final PayloadException e = assertThrows(PayloadException.class, () -> fs.get(0).checkFields("f"));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
    }

    @Test
    void refusesWrongSizeUnknownVersionAndDirtyPadding() {
        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class,
                () -> LivepatchFunc.decodeAll(Arrays.copyOf(sample().encode(), 100))).errno());
        final byte[] v3 = sample().encode();
        v3[32] = 3;
        assertEquals(Errno.EOPNOTSUPP, assertThrows(PayloadException.class, () -> LivepatchFunc.decodeAll(v3)).errno());
        final byte[] pad = sample().encode();
        pad[40] = 1;
        final PayloadException e = assertThrows(PayloadException.class, () -> LivepatchFunc.decodeAll(pad));
        assertTrue(e.getMessage().contains("_pad byte at struct offset 40 is not zero"), e.getMessage());
    }

    @Test
    void fieldChecksFollowXen() {
        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class,
                () -> new LivepatchFunc(0, 0x1000, 0, 16, 0, 2, Optional.empty()).checkFields("f")).errno());
        final PayloadException small = assertThrows(PayloadException.class,
                () -> new LivepatchFunc(0, 0x1000, 0, 16, 4, 2, Optional.empty()).checkFields("tiny"));
        assertTrue(small.getMessage().contains("'tiny': old_size 4 is too small"), small.getMessage());
        assertThrows(PayloadException.class, () -> new LivepatchFunc(0, 0, 0, 32, 40, 2, Optional.empty()).checkFields("n"));
        assertThrows(PayloadException.class, () -> new LivepatchFunc(0, 0, 0, 8, 4, 2, Optional.empty()).checkFields("n"));
        new LivepatchFunc(0, 0, 0, 31, 40, 2, Optional.empty()).checkFields("n");
        new LivepatchFunc(0, 0x1000, 0, 16, 5, 2, Optional.empty()).checkFields("f");
    }

    private static LivepatchFunc sample() {
        return new LivepatchFunc(0, 0x1000, 0, 16, 32, 2, Optional.empty());
    }
}
