package org.xsplice.hypervisor.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.Relocation;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Hook;
import org.xsplice.payload.PayloadException;

/** Valid payloads made from C against a gcc-built hypervisor: checks, linking, layout, registry. */
class LoaderTest {
    private static MiniHv hv;

    @BeforeAll
    static void build() throws IOException {
        hv = MiniHv.get();
    }

    private static Symbol sym(final String name) {
        return hv.target.symbols().lookup(name).orElseThrow();
    }

    private static RecordingPort port;

    private static PayloadRegistry registry() {
        port = new RecordingPort(hv.target);
        return new PayloadRegistry(new PayloadLoader(hv.target), port);
    }

    @Test
    void helloResolvesFunctionsDataAndStaticsAndAppliesEveryRelocation() throws IOException {
        final PayloadRegistry r = registry();
        final byte[] bytes = hv.payload("hello");
        final LoadedPayload p = r.upload("hello", bytes);
        assertEquals(PayloadState.CHECKED, p.state());
        assertEquals(0, p.rc());
        assertEquals(1, p.funcs().size());
        final LoadedFunc f = p.funcs().getFirst();
        assertEquals("xen_extra_version", f.name());
        assertEquals(sym("xen_extra_version").address(), f.oldAddr());
        assertEquals(sym("xen_extra_version").size(), f.oldSize());
        final Symbol repl = p.symbols().stream().filter(s -> s.name().equals("hello_xen_extra_version")).findFirst().orElseThrow();
        assertEquals(repl.address(), f.newAddr());
        assertEquals(repl.size(), f.newSize());
        assertTrue(f.newAddr() >= p.textAddr() && f.newAddr() < p.textAddr() + p.textSize());
        assertEquals("version=1.0", p.metadata());

        // Every PC32/PLT32 of the replacement's text now holds S + A - P against the real addresses.
        final ElfModel m = Elf.of().parse(bytes);
        final ElfSection text = m.section(".text.hello_xen_extra_version").orElseThrow();
        final byte[] image = port.images.get(p.base());
        final int textOff = (int) (f.newAddr() - p.base());
        int checked = 0;
        for (final Relocation rel : m.relocations(text)) {
            final String target = rel.symbol().orElseThrow().name();
            final long s = switch (target) {
                case "xen_counter", "xen_extra", "xen_minor_version" -> sym(target).address();
                case "version.c#extra_suffix" -> sym("version.c#extra_suffix").address();
                default -> -1;
            };
            if (s < 0) {
                continue;
            }
            final long place = f.newAddr() + rel.offset();
            assertEquals((int) (s + rel.addend() - place), (int) Bytes.get(image, textOff + rel.offset(), 4),
                    "relocation at +" + rel.offset() + " to " + target);
            checked++;
        }
        assertEquals(4, checked, "xen_counter, xen_extra, xen_minor_version and the static extra_suffix");

        // Exported: the helper, not the replacement; symbolisation sees both, with the payload's name.
        assertEquals(List.of("hello_exported_helper"), p.exported().stream().map(Symbol::name).toList());
        assertTrue(p.symbols().stream().allMatch(s -> s.payload().equals(Optional.of("hello"))));
        assertEquals(p.region(), port.regions.get("hello"));
    }

    @Test
    void pagesAreRxRwRoAndNeverWritableAndExecutable() throws IOException {
        final PayloadRegistry r = registry();
        final LoadedPayload p = r.upload("hello", hv.payload("hello"));
        assertEquals(p.size() / AreaAllocator.PAGE, port.pages.size());
        assertEquals(PagePermission.RX, port.pages.get(p.textAddr()));
        assertEquals(PagePermission.RW, port.pages.get(p.rwAddr()));
        assertEquals(PagePermission.RO, port.pages.get(p.roAddr()));
        assertTrue(p.textAddr() < p.rwAddr() && p.rwAddr() < p.roAddr());
        assertEquals(0, p.rwAddr() % AreaAllocator.PAGE);
        assertEquals(0, p.roAddr() % AreaAllocator.PAGE);
        assertEquals(64, p.rwSize(), "hello's .bss buffer");
    }

    @Test
    void secondPayloadCallsANewSymbolOfTheFirst() throws IOException {
        final PayloadRegistry r = registry();
        final LoadedPayload hello = r.upload("hello", hv.payload("hello"));
        final byte[] bytes = hv.payload("second", Optional.of("hello"));
        final LoadedPayload second = r.upload("second", bytes);
        assertEquals(hello.buildId(), second.depends());
        final long helper = hello.exported().getFirst().address();
        final ElfModel m = Elf.of().parse(bytes);
        final ElfSection text = m.section(".text.second_minor_version").orElseThrow();
        final Relocation call = m.relocations(text).stream()
                .filter(x -> x.symbol().orElseThrow().name().equals("hello_exported_helper")).findFirst().orElseThrow();
        final LoadedFunc f = second.funcs().getFirst();
        final byte[] image = port.images.get(second.base());
        assertEquals((int) (helper + call.addend() - (f.newAddr() + call.offset())),
                (int) Bytes.get(image, f.newAddr() - second.base() + call.offset(), 4));
        // Load order matters: without hello the symbol is unknown.
        final PayloadException e = assertThrows(PayloadException.class,
                () -> registry().upload("second", bytes));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("'hello_exported_helper'"), e.getMessage());
    }

    @Test
    void nopEndbrHooksAndExceptionTable() throws IOException {
        final PayloadRegistry r = registry();
        final LoadedFunc nop = r.upload("nop", hv.payload("nop")).funcs().getFirst();
        assertTrue(nop.isNop());
        assertEquals(2, nop.newSize());
        assertEquals(sym("tiny_function").address(), nop.oldAddr());

        final LoadedFunc endbr = r.upload("endbr", hv.payload("endbr")).funcs().getFirst();
        assertTrue(endbr.endbr64());
        assertEquals(sym("endbr_big_function").address() + 4, endbr.patchAddr());

        final LoadedPayload hooks = r.upload("hooks", hv.payload("hooks"));
        assertTrue(hooks.funcs().isEmpty());
        assertEquals(Map.of(Hook.LOAD, 1, Hook.PRE_APPLY, 1),
                Map.of(Hook.LOAD, hooks.hooks().get(Hook.LOAD).size(), Hook.PRE_APPLY, hooks.hooks().get(Hook.PRE_APPLY).size()));
        for (final List<Long> fns : hooks.hooks().values()) {
            assertTrue(fns.stream().allMatch(a -> a >= hooks.textAddr() && a < hooks.textAddr() + hooks.textSize()));
        }

        final LoadedPayload ex = r.upload("extable", hv.payload("extable"));
        assertEquals(1, ex.exTable().size());
        final ExTableEntry e = ex.exTable().getFirst();
        final Symbol read = ex.symbols().stream().filter(s -> s.name().equals("extable_read")).findFirst().orElseThrow();
        assertTrue(read.contains(e.fault()), "the faulting load lies in extable_read");
        assertTrue(e.fixup() >= ex.textAddr() && e.fixup() < ex.textAddr() + ex.textSize() && !read.contains(e.fixup()),
                "the fixup lies in the payload's .fixup text");
        assertEquals(List.of("nop", "endbr", "hooks", "extable"), r.list().stream().map(LoadedPayload::name).toList());
    }

    @Test
    void debugKeyDumpIsXensFormat() throws IOException {
        final PayloadRegistry r = registry();
        assertEquals("'x' pressed - Dumping all livepatch patches\nNo patches loaded\n", r.xenDump());
        final LoadedPayload p = r.upload("hello", hv.payload("hello"));
        final LoadedFunc f = p.funcs().getFirst();
        final String dump = r.xenDump();
        assertTrue(dump.contains(String.format(" name=hello state=CHECKED(1) %#x (.data=%#x, .rodata=%#x) using %d pages.",
                p.textAddr(), p.rwAddr(), p.roAddr(), p.pages())), dump);
        assertTrue(dump.contains(String.format("    xen_extra_version patch %#x(%d) with %#x (%d)", f.oldAddr(),
                f.oldSize(), f.newAddr(), f.newSize())), dump);
        assertTrue(dump.contains("build-id=" + p.buildId().hex()), dump);
        assertTrue(dump.contains("depend-on-xen=" + hv.target.buildId().hex()), dump);
    }

    @Test
    void tenThousandUploadUnloadCyclesLeaveTheAreaAsItWas() throws IOException {
        final PayloadRegistry r = registry();
        final LoadedPayload keep = r.upload("hello", hv.payload("hello"));
        final NavigableMap<Long, Long> free = r.area().freeRanges();
        final byte[] nop = hv.payload("nop");
        final byte[] endbr = hv.payload("endbr");
        for (int i = 0; i < 10_000; i++) {
            r.upload("nop", nop);
            if (0 == i % 3) {
                r.upload("endbr", endbr);
                r.unload("nop");
                r.unload("endbr");
            } else {
                r.unload("nop");
            }
        }
        assertEquals(free, r.area().freeRanges());
        assertEquals(Map.of(keep.base(), keep.size()), r.area().usedBlocks());
        r.unload("hello");
        assertEquals(Map.of(hv.target.areaStart(), hv.target.areaSize()), r.area().freeRanges());
        assertTrue(port.isPristine());
    }

    @Test
    void aFailureAfterWritingUndoesEverything() throws IOException {
        final PayloadRegistry r = registry();
        port.failNextRegister = true;
        final PayloadException e = assertThrows(PayloadException.class, () -> r.upload("hello", hv.payload("hello")));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("registry full"), e.getMessage());
        assertTrue(port.isPristine());
        assertTrue(r.list().isEmpty());
        assertEquals(Map.of(hv.target.areaStart(), hv.target.areaSize()), r.area().freeRanges());
        assertEquals("hello", r.upload("hello", hv.payload("hello")).name());
    }

    @Test
    void unloadAndGetOfUnknownPayloadsAreEnoent() {
        final PayloadRegistry r = registry();
        assertEquals(Errno.ENOENT, assertThrows(PayloadException.class, () -> r.unload("nope")).errno());
        assertEquals(Errno.ENOENT, assertThrows(PayloadException.class, () -> r.get("nope")).errno());
        assertFalse(r.find("nope").isPresent());
    }

    @Test
    void allocatorIsFirstFitAndCoalesces() {
        final AreaAllocator a = new AreaAllocator(0x100000, 16 * AreaAllocator.PAGE);
        final long x = a.allocate(1);
        final long y = a.allocate(AreaAllocator.PAGE + 1);
        final long z = a.allocate(AreaAllocator.PAGE);
        assertEquals(List.of(0x100000L, 0x101000L, 0x103000L), List.of(x, y, z));
        a.free(y);
        assertEquals(y, a.allocate(2 * AreaAllocator.PAGE), "first fit reuses the hole");
        a.free(x);
        a.free(z);
        a.free(y);
        assertEquals(Map.of(0x100000L, 16 * AreaAllocator.PAGE), a.freeRanges());
        assertEquals(Errno.ENOMEM, assertThrows(PayloadException.class, () -> a.allocate(17 * AreaAllocator.PAGE)).errno());
    }

    @Test
    void reserveTakesBackExactlyTheBlocksAPreviousOwnerAllocated() {
        final AreaAllocator a = new AreaAllocator(0x100000, 16 * AreaAllocator.PAGE);
        // A restarted supervisor reserves its predecessor's blocks in any order.
        assertEquals(0x103000L, a.reserve(0x103000, AreaAllocator.PAGE + 1));
        assertEquals(0x100000L, a.reserve(0x100000, 1));
        assertEquals(Map.of(0x101000L, 2 * AreaAllocator.PAGE, 0x105000L, 11 * AreaAllocator.PAGE), a.freeRanges());
        assertEquals(2 * AreaAllocator.PAGE, a.blockSize(0x103000));
        assertEquals(0x101000L, a.allocate(AreaAllocator.PAGE), "allocation goes on around them");
        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class, () -> a.reserve(0x104000, 1)).errno(), "in use");
        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class, () -> a.reserve(0x102800, 1)).errno(), "unaligned");
        assertEquals(Errno.EINVAL, assertThrows(PayloadException.class, () -> a.reserve(0x10f000, 2 * AreaAllocator.PAGE)).errno(),
                "past the end");
        a.free(0x100000);
        a.free(0x101000);
        a.free(0x103000);
        assertEquals(Map.of(0x100000L, 16 * AreaAllocator.PAGE), a.freeRanges());
    }

    @Test
    void adoptLinksAgainAtTheRecordedBaseAndComparesWithMemoryExceptWhatAPatchOwns() throws IOException {
        port = new RecordingPort(hv.target);
        final PayloadRegistry first = new PayloadRegistry(new PayloadLoader(hv.target), port, true);
        final byte[] bytes = hv.payload("hello");
        final LoadedPayload p = first.upload("hello", bytes);
        final PayloadRegistry.KeptFile kept = first.keptFile("hello").orElseThrow();
        assertArrayEquals(bytes, Arrays.copyOf(port.images.get(kept.address()), bytes.length), "the file is kept in the area");
        // A later payload's patch in hello's text: the byte in memory no longer matches the file.
        final long at = p.textAddr() + 1;
        port.images.get(p.base())[(int) (at - p.base())] ^= 0x55;
        final HypervisorTarget memory = new ForwardingTarget(hv.target) {
            @Override
            public byte[] read(final long address, final int length) {
                // The payload area from what the port wrote, the hypervisor's own text from its image.
                final Map.Entry<Long, byte[]> e = port.images.floorEntry(address);
                if (null == e || address + length > e.getKey() + e.getValue().length) {
                    return hv.target.read(address, length);
                }
                final int off = (int) (address - e.getKey());
                return Arrays.copyOfRange(e.getValue(), off, off + length);
            }
        };
        final PayloadRegistry second = new PayloadRegistry(new PayloadLoader(memory), port, true);
        final PayloadException e = assertThrows(PayloadException.class,
                () -> second.adopt("hello", kept, bytes, p.base(), PayloadState.APPLIED, 0, a -> false));
        assertEquals(Errno.EIO, e.errno());
        assertTrue(e.getMessage().contains("differs from the hypervisor's memory at 0x" + Long.toHexString(at)), e.getMessage());
        assertEquals(Map.of(hv.target.areaStart(), hv.target.areaSize()), second.area().freeRanges(), "a refusal reserves nothing");

        final LoadedPayload q = second.adopt("hello", kept, bytes, p.base(), PayloadState.APPLIED, 0, a -> a == at);
        assertEquals(p.base(), q.base());
        assertEquals(PayloadState.APPLIED, q.state());
        assertEquals(first.area().usedBlocks(), second.area().usedBlocks(), "the same blocks, taken back");
        assertEquals(kept, second.keptFile("hello").orElseThrow());
    }
}
