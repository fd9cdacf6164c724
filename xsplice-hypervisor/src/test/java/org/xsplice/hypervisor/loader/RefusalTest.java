package org.xsplice.hypervisor.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * One test per refusal: a valid payload made from C, broken by a byte patch or an ELF toolkit
 * transform, must be refused with Xen's errno and a message naming what is at fault, and leave
 * nothing allocated, written or registered.
 */
class RefusalTest {
    private static MiniHv hv;
    private static byte[] hello;
    private RecordingPort port;
    private PayloadRegistry registry;
    /** What is loaded before the refused upload; the state after must equal it. */
    private Map<Long, Long> freeBefore;
    private int loadedBefore;

    @BeforeAll
    static void build() throws IOException {
        hv = MiniHv.get();
        hello = hv.payload("hello");
    }

    @BeforeEach
    void fresh() {
        port = new RecordingPort(hv.target);
        registry = new PayloadRegistry(new PayloadLoader(hv.target), port);
        snapshot();
    }

    private void snapshot() {
        freeBefore = registry.area().freeRanges();
        loadedBefore = registry.list().size();
    }

    @AfterEach
    void nothingLeftBehind() {
        assertEquals(freeBefore, registry.area().freeRanges(), "payload area back to its state before the refusal");
        assertEquals(loadedBefore, registry.list().size());
        assertEquals(loadedBefore, port.regions.size(), "no region registered by the refused payload");
    }

    private void refuse(final byte[] payload, final Errno errno, final String... fragments) {
        refuse("bad", payload, errno, fragments);
    }

    private void refuse(final String name, final byte[] payload, final Errno errno, final String... fragments) {
        final PayloadException e = assertThrows(PayloadException.class, () -> registry.upload(name, payload));
        assertEquals(errno, e.errno(), e.toString());
        for (final String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should contain '" + f + "'");
        }
    }

    private void preload(final String name, final byte[] payload) {
        registry.upload(name, payload);
        snapshot();
    }

    private static long funcs(final byte[] b) {
        return Bytes.section(b, ".livepatch.funcs").offset();
    }

    // ------------------------------------------------------------------ limits

    @Test
    void emptyPayload() {
        refuse(new byte[0], Errno.EINVAL, "has 0 bytes");
    }

    @Test
    void payloadAbove2MiB() {
        refuse(Arrays.copyOf(hello, (2 << 20) + 1), Errno.EINVAL, "2097153 bytes", "2 MiB");
    }

    @Test
    void nameOf128BytesPlusNul() {
        refuse("n".repeat(128), hello, Errno.EINVAL, "129 bytes with its NUL");
    }

    @Test
    void duplicateName() throws IOException {
        preload("hello", hello);
        refuse("hello", hv.payload("nop"), Errno.EEXIST, "'hello' is already loaded");
    }

    // ------------------------------------------------------------------ ELF header

    @Test
    void badMagic() {
        refuse(Bytes.put(hello, 1, 1, 'X'), Errno.EINVAL, "bad ELF magic 7f 58 4c 46");
    }

    @Test
    void elfClass32() {
        refuse(Bytes.put(hello, 4, 1, 1), Errno.EOPNOTSUPP, "e_ident[EI_CLASS]", "is 1");
    }

    @Test
    void bigEndian() {
        refuse(Bytes.put(hello, 5, 1, 2), Errno.EOPNOTSUPP, "e_ident[EI_DATA]");
    }

    @Test
    void identVersion() {
        refuse(Bytes.put(hello, 6, 1, 0), Errno.EOPNOTSUPP, "e_ident[EI_VERSION]");
    }

    @Test
    void osAbiLinux() {
        refuse(Bytes.put(hello, 7, 1, 3), Errno.EOPNOTSUPP, "EI_OSABI", "is 3");
    }

    @Test
    void osAbiFreeBsdIsAccepted() {
        assertEquals("fbsd", registry.upload("fbsd", Bytes.put(hello, 7, 1, 9)).name());
        registry.unload("fbsd");
    }

    @Test
    void abiVersion() {
        refuse(Bytes.put(hello, 8, 1, 1), Errno.EOPNOTSUPP, "EI_ABIVERSION");
    }

    @Test
    void executableNotRelocatable() {
        refuse(Bytes.put(hello, 16, 2, 2), Errno.EOPNOTSUPP, "e_type", "ET_REL");
    }

    @Test
    void wrongMachine() {
        refuse(Bytes.put(hello, 18, 2, 3), Errno.EOPNOTSUPP, "e_machine", "is 3");
    }

    @Test
    void headerVersion() {
        refuse(Bytes.put(hello, 20, 4, 2), Errno.EOPNOTSUPP, "e_version");
    }

    @Test
    void programHeaders() {
        refuse(Bytes.put(hello, 56, 2, 1), Errno.EOPNOTSUPP, "program headers", "e_phnum 1");
    }

    @Test
    void sectionHeaderEntrySize() {
        refuse(Bytes.put(hello, 58, 2, 40), Errno.EINVAL, "e_shentsize", "is 40");
    }

    @Test
    void sectionTableInsideHeader() {
        refuse(Bytes.put(hello, 40, 8, 16), Errno.EINVAL, "e_shoff", "overlaps the ELF header");
    }

    @Test
    void truncatedSectionTable() {
        final int shoff = (int) Bytes.get(hello, 40, 8);
        refuse(Bytes.truncate(hello, shoff + 64 * 3), Errno.EINVAL, "section table truncated");
    }

    @Test
    void sectionNameIndexOutOfRange() {
        refuse(Bytes.put(hello, 62, 2, 200), Errno.EINVAL, "e_shstrndx", "is 200");
    }

    @Test
    void tooManySections() {
        refuse(Bytes.put(hello, 60, 2, 1100), Errno.EINVAL, "fewer than 1024 sections");
    }

    // ------------------------------------------------------------------ section table

    @Test
    void sectionDataOutsideTheFile() {
        final long h = Bytes.header(hello, ".modinfo");
        refuse(Bytes.put(hello, h + 32, 8, 0x100000), Errno.EINVAL, "section " + Bytes.section(hello, ".modinfo").index(),
                "outside the payload's");
    }

    @Test
    void sectionDataInsideTheHeader() {
        final long h = Bytes.header(hello, ".modinfo");
        refuse(Bytes.put(hello, h + 24, 8, 8), Errno.EINVAL, "inside the ELF header");
    }

    @Test
    void alignmentNotAPowerOfTwo() {
        final long h = Bytes.header(hello, ".modinfo");
        refuse(Bytes.put(hello, h + 48, 8, 3), Errno.EOPNOTSUPP, "sh_addralign 3");
    }

    @Test
    void misalignedAddress() {
        final long h = Bytes.header(hello, ".livepatch.funcs");
        refuse(Bytes.put(hello, h + 16, 8, 4), Errno.EINVAL, "sh_addr 0x4 is not aligned");
    }

    @Test
    void writableAndExecutableSection() {
        final long h = Bytes.header(hello, ".text.hello_exported_helper");
        refuse(Bytes.put(hello, h + 8, 8, 7), Errno.EOPNOTSUPP, "W+X");
    }

    @Test
    void hugeWritableNobits() {
        final long h = Bytes.header(hello, ".bss.buf");
        refuse(Bytes.put(hello, h + 32, 8, 3 << 20), Errno.EINVAL, "writable NOBITS", "more than 2 MiB");
    }

    @Test
    void relSectionsAreNotSupported() {
        final long h = Bytes.header(hello, ".rela.livepatch.funcs");
        refuse(Bytes.put(hello, h + 4, 4, 9), Errno.EOPNOTSUPP, "SHT_REL");
    }

    @Test
    void noSymbolTable() {
        final long h = Bytes.header(hello, ".symtab");
        refuse(Bytes.put(hello, h + 4, 4, 1), Errno.EINVAL, "no symbol table");
    }

    @Test
    void twoSymbolTables() {
        final long h = Bytes.header(hello, ".comment");
        refuse(Bytes.put(hello, h + 4, 4, 2), Errno.EOPNOTSUPP, "2 symbol tables");
    }

    @Test
    void stringTableWithoutFinalNul() {
        final var s = Bytes.section(hello, ".strtab");
        refuse(Bytes.put(hello, s.offset() + s.size() - 1, 1, 'x'), Errno.EINVAL, "symbol string table",
                "does not end with a NUL byte");
    }

    // ------------------------------------------------------------------ symbols

    @Test
    void commonSymbol() {
        refuse(Bytes.put(hello, Bytes.symbol(hello, "hello_exported_helper") + 6, 2, 0xfff2), Errno.EINVAL,
                "'hello_exported_helper'", "COMMON");
    }

    @Test
    void reservedSectionIndex() {
        refuse(Bytes.put(hello, Bytes.symbol(hello, "hello_exported_helper") + 6, 2, 0xff05), Errno.EOPNOTSUPP,
                "'hello_exported_helper'", "reserved section index 0xff05");
    }

    @Test
    void symbolSectionIndexPastTheSections() {
        refuse(Bytes.put(hello, Bytes.symbol(hello, "hello_exported_helper") + 6, 2, 0x200), Errno.EINVAL,
                "st_shndx", "512");
    }

    @Test
    void unknownSymbol() throws IOException {
        refuse(hv.payload("unknown"), Errno.ENOENT, "Unknown symbol", "'no_such_hypervisor_function'");
    }

    @Test
    void duplicateNewSymbolOfTheHypervisor() throws IOException {
        refuse(hv.payload("dupsym"), Errno.EEXIST, "duplicate new symbol", "'xen_counter'", "hypervisor");
    }

    @Test
    void duplicateNewSymbolOfAnotherPayload() {
        preload("hello", hello);
        final long id = Bytes.section(hello, ".note.gnu.build-id").offset() + 16;
        refuse("hello2", Bytes.put(hello, id, 1, Bytes.get(hello, id, 1) ^ 0xff), Errno.EEXIST, "duplicate new symbol",
                "'hello_exported_helper'", "payload 'hello'");
    }

    // ------------------------------------------------------------------ relocations

    private static final String TEXT_RELA = ".rela.text.hello_xen_extra_version";

    @Test
    void unsupportedRelocationType() {
        final long r = Bytes.relocation(hello, TEXT_RELA, 0);
        refuse(Bytes.put(hello, r + 8, 4, 10), Errno.EOPNOTSUPP, "relocation 0 of " + TEXT_RELA, "R_X86_64_32");
    }

    @Test
    void pc32Overflow() {
        final long r = Bytes.relocation(hello, TEXT_RELA, 0);
        // Which hypervisor object relocation 0 refers to depends on gcc's code order (xen_counter or xen_extra).
        refuse(Bytes.put(hello, r + 16, 8, 0x1_0000_0000L), Errno.EOVERFLOW, "relocation 0 of " + TEXT_RELA,
                "to symbol 'xen_", "does not fit in 32 bits");
    }

    @Test
    void relocationOffsetPastTheSection() {
        final long r = Bytes.relocation(hello, TEXT_RELA, 1);
        refuse(Bytes.put(hello, r, 8, 0x1000), Errno.EINVAL, "relocation 1 of " + TEXT_RELA, "r_offset 0x1000",
                "past the end");
    }

    @Test
    void relocationSymbolPastTheTable() {
        final long r = Bytes.relocation(hello, TEXT_RELA, 2);
        refuse(Bytes.put(hello, r + 12, 4, 9999), Errno.EINVAL, "relocation 2", "r_info symbol", "9999");
    }

    @Test
    void relocationAgainstSymbolZero() {
        final long r = Bytes.relocation(hello, TEXT_RELA, 2);
        refuse(Bytes.put(hello, r + 12, 4, 0), Errno.EINVAL, "relocation 2 of " + TEXT_RELA, "symbol index 0");
    }

    @Test
    void relocationAgainstANonLoadedSection() {
        final long h = Bytes.header(hello, ".bss.buf");
        refuse(Bytes.put(hello, h + 8, 8, 1), Errno.EINVAL, "which is not loaded");
    }

    // ------------------------------------------------------------------ .livepatch.funcs

    @Test
    void funcsSizeNotAMultiple() {
        final long h = Bytes.header(hello, ".livepatch.funcs");
        final byte[] b = Bytes.put(hello, h + 32, 8, 100);
        refuse(Bytes.put(b, Bytes.symbol(b, "xsplice_func_hello_xen_extra_version") + 16, 8, 100), Errno.EINVAL,
                ".livepatch.funcs has size 100");
    }

    @Test
    void funcsVersion() {
        refuse(Bytes.put(hello, funcs(hello) + 32, 1, 3), Errno.EOPNOTSUPP, "version 3");
    }

    @Test
    void funcsVersion1IsNotLoadable() {
        // A v1 entry is 64 bytes; the 104-byte section is no multiple of it.
        refuse(Bytes.put(hello, funcs(hello) + 32, 1, 1), Errno.EINVAL, "multiple of 64");
    }

    @Test
    void funcsVersion1OnAHypervisorThatKnowsOnly2() {
        final HypervisorTarget v2 = new ForwardingTarget(hv.target) {
            @Override
            public OptionalInt funcsVersion() {
                return OptionalInt.of(2);
            }
        };
        port = new RecordingPort(v2);
        registry = new PayloadRegistry(new PayloadLoader(v2), port);
        snapshot();
        // The 104-byte section is one v2 entry, so the version byte alone decides.
        refuse(Bytes.put(hello, funcs(hello) + 32, 1, 1), Errno.EOPNOTSUPP, ".livepatch.funcs[0]: version 1",
                "accepts only 2");
    }

    @Test
    void oldSizeZero() {
        refuse(Bytes.put(hello, funcs(hello) + 28, 4, 0), Errno.EINVAL, "'xen_extra_version'", "old_size is 0");
    }

    @Test
    void oldSizeTooSmallForAJump() {
        refuse(Bytes.put(hello, funcs(hello) + 28, 4, 3), Errno.EINVAL, "old_size 3 is too small");
    }

    @Test
    void oldSizeLargerThanTheFunction() {
        refuse(Bytes.put(hello, funcs(hello) + 28, 4, 1000), Errno.EINVAL, "old_size 1000", "real size");
    }

    @Test
    void endbr64NeedsNineBytes() throws IOException {
        final byte[] b = hv.payload("endbr");
        refuse(Bytes.put(b, funcs(b) + 28, 4, 8), Errno.EINVAL, "'endbr_big_function'", "ENDBR64", "9 bytes");
    }

    @Test
    void nopTooLong() throws IOException {
        final byte[] b = hv.payload("nop");
        refuse(Bytes.put(b, funcs(b) + 24, 4, 40), Errno.EINVAL, "NOP mode", "at most 31");
    }

    @Test
    void nopLongerThanTheFunction() throws IOException {
        final byte[] b = hv.payload("nop");
        refuse(Bytes.put(b, funcs(b) + 24, 4, 4), Errno.EINVAL, "new_size 4 larger than old_size 3");
    }

    @Test
    void oldAddrZeroAndUnknownName() {
        final var s = Bytes.section(hello, ".rodata.str1.1");
        final int at = Bytes.indexOf(s.bytes(), "xen_extra_version");
        refuse(Bytes.put(hello, s.offset() + at + 16, 1, 'X'), Errno.ENOENT, "no symbol 'xen_extra_versioX'");
    }

    @Test
    void oldAddrNotAFunctionStart() {
        final long addr = hv.target.symbols().lookup("xen_extra_version").orElseThrow().address() + 1;
        refuse(Bytes.put(hello, funcs(hello) + 16, 8, addr), Errno.EINVAL, "is not the start of a known function");
    }

    @Test
    void replacementTooFarAway() {
        final long r = Bytes.relocation(hello, ".rela.livepatch.funcs", 1);
        refuse(Bytes.put(hello, r + 16, 8, 0x1_0000_0000L), Errno.EOVERFLOW, "more than 2 GiB away");
    }

    @Test
    void expectationLongerThanOldSize() {
        refuse(Bytes.put(hello, funcs(hello) + 72, 1, 1 | 30 << 1), Errno.EINVAL, "expectation of 30 bytes");
    }

    // ------------------------------------------------------------------ hooks, .modinfo, .ex_table

    @Test
    void singleHookOfWrongSize() throws IOException {
        final byte[] b = hv.payload("hooks");
        final long h = Bytes.header(b, ".livepatch.hooks.preapply");
        refuse(Bytes.put(b, h + 32, 8, 16), Errno.EINVAL, ".livepatch.hooks.preapply has size 16", "exactly 8");
    }

    @Test
    void hookPointingOutsideTheText() throws IOException {
        final byte[] b = hv.payload("hooks");
        final long r = Bytes.relocation(b, ".rela.livepatch.hooks.load", 0);
        refuse(Bytes.put(b, r + 16, 8, 0x100000), Errno.EINVAL, ".livepatch.hooks.load entry 0", "outside the payload's text");
    }

    @Test
    void modinfoWithoutFinalNul() {
        final var s = Bytes.section(hello, ".modinfo");
        refuse(Bytes.put(hello, s.offset() + s.size() - 1, 1, 'x'), Errno.EINVAL, ".modinfo does not end with a NUL");
    }

    @Test
    void exTableEntryOutsideTheText() throws IOException {
        final byte[] b = hv.payload("extable");
        final long r = Bytes.relocation(b, ".rela.ex_table", 1);
        refuse(Bytes.put(b, r + 16, 8, Bytes.get(b, r + 16, 8) + 0x10000), Errno.EINVAL, ".ex_table entry 0",
                "fixup address", "does not point into the payload's text");
    }

    @Test
    void exTableSizeNotAMultipleOfEight() throws IOException {
        final byte[] b = hv.payload("extable");
        final long h = Bytes.header(b, ".ex_table");
        refuse(Bytes.put(b, h + 32, 8, 12), Errno.EINVAL, ".ex_table has size 12");
    }

    @Test
    void symbolOutsideItsSection() {
        refuse(Bytes.put(hello, Bytes.symbol(hello, "hello_exported_helper") + 16, 8, 0x1000), Errno.EINVAL,
                "'hello_exported_helper'", "st_size 0x1000", "lies outside its section");
    }

    @Test
    void nothingToDo() {
        refuse(Bytes.drop(hello, ".livepatch.funcs"), Errno.EINVAL, "neither .livepatch.funcs nor a hook section");
    }

    // ------------------------------------------------------------------ build-ids

    @Test
    void missingXenDepends() {
        refuse(Bytes.drop(hello, ".livepatch.xen_depends"), Errno.EINVAL, "required section .livepatch.xen_depends is missing");
    }

    @Test
    void missingBuildId() {
        refuse(Bytes.drop(hello, ".note.gnu.build-id"), Errno.EINVAL, "required section .note.gnu.build-id is missing");
    }

    @Test
    void wrongXenDepends() {
        final long d = Bytes.section(hello, ".livepatch.xen_depends").offset() + 16;
        refuse(Bytes.put(hello, d, 1, Bytes.get(hello, d, 1) ^ 0x55), Errno.EINVAL, "requires hypervisor build-id",
                "but the hypervisor's build-id is " + hv.target.buildId().hex());
    }

    @Test
    void dependsIsNotABuildIdNote() {
        final long d = Bytes.section(hello, ".livepatch.depends").offset() + 8;
        refuse(Bytes.put(hello, d, 4, 5), Errno.EINVAL, ".livepatch.depends does not hold a GNU build-id note", "type 5");
    }

    @Test
    void duplicateBuildId() {
        preload("hello", hello);
        refuse("again", hello, Errno.EEXIST, "build-id", "loaded payload 'hello'");
    }

    @Test
    void payloadAreaFull() {
        final HypervisorTarget small = new ForwardingTarget(hv.target) {
            @Override
            public long areaSize() {
                return 2 * AreaAllocator.PAGE;
            }
        };
        port = new RecordingPort(small);
        registry = new PayloadRegistry(new PayloadLoader(small), port);
        snapshot();
        refuse(hello, Errno.ENOMEM, "payload area full");
    }

    @Test
    void offlineCheckOfEveryValidPayloadPasses() throws IOException {
        for (final String p : new String[] {"hello", "nop", "endbr", "hooks", "extable"}) {
            final AreaAllocator a = new AreaAllocator(hv.target.areaStart(), hv.target.areaSize());
            assertEquals(p, new PayloadLoader(hv.target).link(p, hv.payload(p), java.util.List.of(), a).payload().name());
        }
    }
}
