package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.RelocationSection;
import org.xsplice.hv.control.ControlException;
import org.xsplice.hv.control.Request;
import org.xsplice.hv.control.Response;
import org.xsplice.hypervisor.loader.Bytes;

/**
 * Every class of refusal of the loader (RefusalTest's, there against a small gcc-built target),
 * here as real uploads through the control socket of ONE running reference hypervisor: payloads
 * made from C against its own xen-syms, broken by a byte patch or an ELF transform. Each must be
 * refused with Xen's errno and a message naming the section, symbol, relocation or field at
 * fault, and leave the hypervisor serving {@code xl info}, its payload area, region table and
 * payload list exactly as they were.
 */
class SocketRefusalTest {
    @TempDir
    static Path tmp;
    private static SupervisedHv running;
    private static Supervisor supervisor;
    private static byte[] hello;
    private static byte[] unknown;
    private static byte[] second;
    private static byte[] dupsym;
    private static byte[] nop;
    private static byte[] hooks;
    private static byte[] extable;

    /** A payload uploaded before the refused one, and unloaded after it. */
    private record Preload(String name, byte[] payload) {
    }

    /** One refusal: {@code payload} uploaded as {@code upload} must fail with {@code errno} and every fragment. */
    private record Case(String title, String upload, byte[] payload, Optional<Preload> preload, String errno,
            List<String> fragments) {
        @Override
        public String toString() {
            return title + " -> " + errno;
        }
    }

    private static Case refuse(final String title, final byte[] payload, final String errno, final String... fragments) {
        return new Case(title, "refused", payload, Optional.empty(), errno, List.of(fragments));
    }

    private static Case refuseAfter(final Preload preload, final String title, final String upload, final byte[] payload,
            final String errno, final String... fragments) {
        return new Case(title, upload, payload, Optional.of(preload), errno, List.of(fragments));
    }

    @BeforeAll
    static void start() throws IOException {
        final Path xen = HvTestSupport.image().file();
        hello = HvTestSupport.payload(tmp, "hv_hello", xen, Optional.empty());
        unknown = HvTestSupport.payload(tmp, "hv_unknown", xen, Optional.empty());
        second = HvTestSupport.payload(tmp, "hv_second", xen, Optional.of(tmp.resolve("hv_hello.livepatch")));
        dupsym = HvTestSupport.payload(tmp, "hv_dupsym", xen, Optional.empty());
        nop = HvTestSupport.payload(tmp, "hv_nop", xen, Optional.empty());
        hooks = HvTestSupport.payload(tmp, "hv_hooks", xen, Optional.empty());
        extable = HvTestSupport.payload(tmp, "hv_extable", xen, Optional.empty());
        running = SupervisedHv.start(tmp, "refusals", xen);
        supervisor = running.supervisor();
    }

    @AfterAll
    static void stop() throws IOException {
        if (null != running) {
            running.close();
        }
    }

    private static final String TEXT_RELA = ".rela.text.hello_xen_extra_version";

    private static long funcs(final byte[] b) {
        return Bytes.section(b, ".livepatch.funcs").offset();
    }

    /** {@return the name of the symbol relocation {@code i} of {@code rela} refers to} */
    private static String relocationTarget(final byte[] b, final String rela, final int i) {
        final ElfModel m = Elf.of().parse(b);
        final RelocationSection s = m.relocationSections().stream()
                .filter(x -> x.section().map(y -> y.name().equals(rela)).orElse(false)).findFirst().orElseThrow();
        return s.relocations().get(i).symbol().orElseThrow().name();
    }

    static Stream<Case> cases() throws IOException {
        final List<Case> c = new ArrayList<>();
        final Preload helloLoaded = new Preload("hello", hello);

        // limits
        c.add(refuse("empty payload", new byte[0], "EINVAL", "has 0 bytes"));
        c.add(refuse("payload above 2 MiB", Arrays.copyOf(hello, (2 << 20) + 1), "EINVAL", "2097153 bytes", "2 MiB"));
        c.add(new Case("name of 128 bytes plus NUL", "n".repeat(128), hello, Optional.empty(), "EINVAL",
                List.of("129 bytes with its NUL")));
        c.add(refuseAfter(helloLoaded, "duplicate name", "hello", nop, "EEXIST", "'hello' is already loaded"));

        // ELF header
        c.add(refuse("bad magic", Bytes.put(hello, 1, 1, 'X'), "EINVAL", "bad ELF magic 7f 58 4c 46"));
        c.add(refuse("ELFCLASS32", Bytes.put(hello, 4, 1, 1), "EOPNOTSUPP", "e_ident[EI_CLASS]", "is 1"));
        c.add(refuse("big endian", Bytes.put(hello, 5, 1, 2), "EOPNOTSUPP", "e_ident[EI_DATA]"));
        c.add(refuse("EI_VERSION 0", Bytes.put(hello, 6, 1, 0), "EOPNOTSUPP", "e_ident[EI_VERSION]"));
        c.add(refuse("OS ABI Linux", Bytes.put(hello, 7, 1, 3), "EOPNOTSUPP", "EI_OSABI", "is 3"));
        c.add(refuse("ABI version 1", Bytes.put(hello, 8, 1, 1), "EOPNOTSUPP", "EI_ABIVERSION"));
        c.add(refuse("ET_EXEC", Bytes.put(hello, 16, 2, 2), "EOPNOTSUPP", "e_type", "ET_REL"));
        c.add(refuse("e_machine i386", Bytes.put(hello, 18, 2, 3), "EOPNOTSUPP", "e_machine", "is 3"));
        c.add(refuse("e_version 2", Bytes.put(hello, 20, 4, 2), "EOPNOTSUPP", "e_version"));
        c.add(refuse("program headers", Bytes.put(hello, 56, 2, 1), "EOPNOTSUPP", "program headers", "e_phnum 1"));
        c.add(refuse("e_shentsize 40", Bytes.put(hello, 58, 2, 40), "EINVAL", "e_shentsize", "is 40"));
        c.add(refuse("section table inside the header", Bytes.put(hello, 40, 8, 16), "EINVAL", "e_shoff",
                "overlaps the ELF header"));
        c.add(refuse("truncated section table", Arrays.copyOf(hello, (int) Bytes.get(hello, 40, 8) + 64 * 3), "EINVAL",
                "section table truncated"));
        c.add(refuse("e_shstrndx out of range", Bytes.put(hello, 62, 2, 200), "EINVAL", "e_shstrndx", "is 200"));
        c.add(refuse("1100 sections", Bytes.put(hello, 60, 2, 1100), "EINVAL", "fewer than 1024 sections"));

        // section table
        final long modinfo = Bytes.header(hello, ".modinfo");
        c.add(refuse("section data outside the file", Bytes.put(hello, modinfo + 32, 8, 0x100000), "EINVAL",
                "section " + Bytes.section(hello, ".modinfo").index(), "outside the payload's"));
        c.add(refuse("section data inside the ELF header", Bytes.put(hello, modinfo + 24, 8, 8), "EINVAL",
                "inside the ELF header"));
        c.add(refuse("sh_addralign 3", Bytes.put(hello, modinfo + 48, 8, 3), "EOPNOTSUPP", "sh_addralign 3"));
        c.add(refuse("misaligned sh_addr", Bytes.put(hello, Bytes.header(hello, ".livepatch.funcs") + 16, 8, 4), "EINVAL",
                "sh_addr 0x4 is not aligned"));
        c.add(refuse("W+X section", Bytes.put(hello, Bytes.header(hello, ".text.hello_helper") + 8, 8, 7), "EOPNOTSUPP",
                "section " + Bytes.section(hello, ".text.hello_helper").index() + " ", "W+X"));
        c.add(refuse("writable NOBITS above 2 MiB", Bytes.put(hello, Bytes.header(hello, ".bss.hello_buf") + 32, 8, 3 << 20),
                "EINVAL", "writable NOBITS", "more than 2 MiB"));
        c.add(refuse("SHT_REL section", Bytes.put(hello, Bytes.header(hello, ".rela.livepatch.funcs") + 4, 4, 9),
                "EOPNOTSUPP", "SHT_REL"));

        // symbol and string tables
        c.add(refuse("no symbol table", Bytes.put(hello, Bytes.header(hello, ".symtab") + 4, 4, 1), "EINVAL",
                "no symbol table"));
        c.add(refuse("two symbol tables", Bytes.put(hello, Bytes.header(hello, ".comment") + 4, 4, 2), "EOPNOTSUPP",
                "2 symbol tables"));
        final var strtab = Bytes.section(hello, ".strtab");
        c.add(refuse("string table without its NUL", Bytes.put(hello, strtab.offset() + strtab.size() - 1, 1, 'x'),
                "EINVAL", "symbol string table", "does not end with a NUL byte"));

        // symbols
        final long helper = Bytes.symbol(hello, "hello_helper");
        c.add(refuse("COMMON symbol", Bytes.put(hello, helper + 6, 2, 0xfff2), "EINVAL", "'hello_helper'", "COMMON"));
        c.add(refuse("reserved section index", Bytes.put(hello, helper + 6, 2, 0xff05), "EOPNOTSUPP", "'hello_helper'",
                "reserved section index 0xff05"));
        c.add(refuse("st_shndx past the sections", Bytes.put(hello, helper + 6, 2, 0x200), "EINVAL", "st_shndx", "512"));
        c.add(refuse("symbol outside its section", Bytes.put(hello, helper + 16, 8, 0x1000), "EINVAL", "'hello_helper'",
                "st_size 0x1000", "lies outside its section"));
        c.add(refuse("unknown symbol", unknown, "ENOENT", "Unknown symbol", "'no_such_function'"));
        c.add(refuse("stacked payload without its base", second, "ENOENT", "'hello_helper'"));
        c.add(refuse("duplicate new symbol of the hypervisor", dupsym, "EEXIST", "duplicate new symbol",
                "'xen_commandline'", "hypervisor"));
        final long id = Bytes.section(hello, ".note.gnu.build-id").offset() + 16;
        c.add(refuseAfter(helloLoaded, "duplicate new symbol of another payload", "hello2",
                Bytes.put(hello, id, 1, Bytes.get(hello, id, 1) ^ 0xff), "EEXIST", "duplicate new symbol",
                "payload 'hello'"));

        // relocations
        final long r0 = Bytes.relocation(hello, TEXT_RELA, 0);
        c.add(refuse("unsupported relocation type", Bytes.put(hello, r0 + 8, 4, 10), "EOPNOTSUPP",
                "relocation 0 of " + TEXT_RELA, "R_X86_64_32"));
        c.add(refuse("PC32 overflow", Bytes.put(hello, r0 + 16, 8, 0x1_0000_0000L), "EOVERFLOW",
                "relocation 0 of " + TEXT_RELA, "'" + relocationTarget(hello, TEXT_RELA, 0) + "'",
                "does not fit in 32 bits"));
        c.add(refuse("relocation offset past the section", Bytes.put(hello, Bytes.relocation(hello, TEXT_RELA, 1), 8, 0x1000),
                "EINVAL", "relocation 1 of " + TEXT_RELA, "r_offset 0x1000", "past the end"));
        final long r2 = Bytes.relocation(hello, TEXT_RELA, 2);
        c.add(refuse("relocation symbol past the table", Bytes.put(hello, r2 + 12, 4, 9999), "EINVAL", "relocation 2",
                "r_info symbol", "9999"));
        c.add(refuse("relocation against symbol 0", Bytes.put(hello, r2 + 12, 4, 0), "EINVAL",
                "relocation 2 of " + TEXT_RELA, "symbol index 0"));
        c.add(refuse("relocation against a section not loaded",
                Bytes.put(hello, Bytes.header(hello, ".bss.hello_buf") + 8, 8, 1), "EINVAL", "which is not loaded"));

        // .livepatch.funcs
        final long f = funcs(hello);
        final byte[] shortFuncs = Bytes.put(hello, Bytes.header(hello, ".livepatch.funcs") + 32, 8, 100);
        c.add(refuse("funcs size not a multiple of 104",
                Bytes.put(shortFuncs, Bytes.symbol(shortFuncs, "xsplice_func_hello_xen_extra_version") + 16, 8, 100),
                "EINVAL", ".livepatch.funcs has size 100"));
        c.add(refuse("funcs version 3", Bytes.put(hello, f + 32, 1, 3), "EOPNOTSUPP", "version 3"));
        c.add(refuse("funcs version 1 in a v2-sized section", Bytes.put(hello, f + 32, 1, 1), "EINVAL", "multiple of 64"));
        c.add(refuse("old_size 0", Bytes.put(hello, f + 28, 4, 0), "EINVAL", "'xen_extra_version'", "old_size is 0"));
        c.add(refuse("old_size too small for a jump", Bytes.put(hello, f + 28, 4, 3), "EINVAL", "'xen_extra_version'",
                "old_size 3 is too small"));
        c.add(refuse("old_size larger than the function", Bytes.put(hello, f + 28, 4, 1000), "EINVAL", "old_size 1000",
                "real size"));
        // No ENDBR64 case: the reference hypervisor is built without -fcf-protection, and the only
        // functions of its image that start with ENDBR64 (crtstuff's frame_dummy and
        // __do_global_dtors_aux) have no symbol size, so they are no patchable function at all.
        final long nf = funcs(nop);
        c.add(refuse("NOP longer than 31 bytes", Bytes.put(nop, nf + 24, 4, 40), "EINVAL", "'xen_minor_version'",
                "NOP mode", "at most 31"));
        final long nopOld = Bytes.get(nop, nf + 28, 4);
        c.add(refuse("NOP longer than the function", Bytes.put(nop, nf + 24, 4, nopOld + 1), "EINVAL",
                "new_size " + (nopOld + 1) + " larger than old_size " + nopOld));
        final var names = Bytes.section(hello, ".rodata.str1.1");
        c.add(refuse("old_addr 0 and an unknown name",
                Bytes.put(hello, names.offset() + Bytes.indexOf(names.bytes(), "xen_extra_version") + 16, 1, 'X'), "ENOENT",
                "no symbol 'xen_extra_versioX'"));
        final long extraVersion = HvTestSupport.image().symbols().lookup("xen_extra_version").orElseThrow().address();
        c.add(refuse("old_addr inside a function", Bytes.put(hello, f + 16, 8, extraVersion + 1), "EINVAL",
                "is not the start of a known function"));
        c.add(refuse("replacement more than 2 GiB away",
                Bytes.put(hello, Bytes.relocation(hello, ".rela.livepatch.funcs", 1) + 16, 8, 0x1_0000_0000L), "EOVERFLOW",
                "more than 2 GiB away"));
        c.add(refuse("expectation longer than old_size", Bytes.put(hello, f + 72, 1, 1 | 30 << 1), "EINVAL",
                "expectation of 30 bytes"));
        c.add(refuse("neither funcs nor hooks", Bytes.drop(hello, ".livepatch.funcs"), "EINVAL",
                "neither .livepatch.funcs nor a hook section"));

        // hooks, .modinfo, .ex_table
        c.add(refuse("single hook of 16 bytes", Bytes.put(hooks, Bytes.header(hooks, ".livepatch.hooks.preapply") + 32, 8, 16),
                "EINVAL", ".livepatch.hooks.preapply has size 16", "exactly 8"));
        c.add(refuse("hook outside the text",
                Bytes.put(hooks, Bytes.relocation(hooks, ".rela.livepatch.hooks.load", 0) + 16, 8, 0x100000), "EINVAL",
                ".livepatch.hooks.load entry 0", "outside the payload's text"));
        final var mi = Bytes.section(hello, ".modinfo");
        c.add(refuse(".modinfo without its NUL", Bytes.put(hello, mi.offset() + mi.size() - 1, 1, 'x'), "EINVAL",
                ".modinfo does not end with a NUL"));
        final long fixup = Bytes.relocation(extable, ".rela.ex_table", 1) + 16;
        c.add(refuse(".ex_table fixup outside the text", Bytes.put(extable, fixup, 8, Bytes.get(extable, fixup, 8) + 0x10000),
                "EINVAL", ".ex_table entry 0", "fixup address", "does not point into the payload's text"));
        c.add(refuse(".ex_table of 12 bytes", Bytes.put(extable, Bytes.header(extable, ".ex_table") + 32, 8, 12), "EINVAL",
                ".ex_table has size 12"));

        // notes and build-ids
        c.add(refuse("missing xen_depends", Bytes.drop(hello, ".livepatch.xen_depends"), "EINVAL",
                "required section .livepatch.xen_depends is missing"));
        c.add(refuse("missing build-id", Bytes.drop(hello, ".note.gnu.build-id"), "EINVAL",
                "required section .note.gnu.build-id is missing"));
        final long xd = Bytes.section(hello, ".livepatch.xen_depends").offset() + 16;
        c.add(refuse("wrong xen_depends", Bytes.put(hello, xd, 1, Bytes.get(hello, xd, 1) ^ 0x55), "EINVAL",
                "requires hypervisor build-id", "but the hypervisor's build-id is " + HvTestSupport.image().buildId().hex()));
        c.add(refuse("depends not a build-id note",
                Bytes.put(hello, Bytes.section(hello, ".livepatch.depends").offset() + 8, 4, 5), "EINVAL",
                ".livepatch.depends does not hold a GNU build-id note", "type 5"));
        c.add(refuseAfter(helloLoaded, "duplicate build-id", "again", hello, "EEXIST", "build-id", "loaded payload 'hello'"));
        return c.stream();
    }

    private static <T extends Response> T call(final Request r, final Class<T> c) throws IOException {
        return running.call(r, c);
    }

    private static long regionsPointer() throws IOException {
        return running.regionsPointer();
    }

    private static List<String> listed() throws IOException {
        return call(new Request.ListPayloads(), Response.PayloadList.class).payloads().stream()
                .map(Response.PayloadStatus::name).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedThroughTheSocketLeavingNothingBehind(final Case c) throws IOException {
        if (c.preload().isPresent()) {
            call(new Request.Upload(c.preload().get().name(), c.preload().get().payload()), Response.PayloadStatus.class);
        }
        try {
            final NavigableMap<Long, Long> area = supervisor.payloads().registry().area().freeRanges();
            final long regions = regionsPointer();
            final List<String> before = listed();
            final ControlException e = assertThrows(ControlException.class,
                    () -> call(new Request.Upload(c.upload(), c.payload()), Response.PayloadStatus.class));
            assertEquals(c.errno(), e.errno(), e.getMessage());
            for (final String fragment : c.fragments()) {
                assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
            }
            assertTrue(call(new Request.Info(), Response.InfoReply.class).fields().size() > 5, "xl info still served");
            assertEquals(area, supervisor.payloads().registry().area().freeRanges(), "payload area as before");
            assertEquals(regions, regionsPointer(), "livepatch_regions as before");
            assertEquals(before, listed());
            assertEquals(before.size(), supervisor.payloads().port().regions().size());
        } finally {
            if (c.preload().isPresent()) {
                call(new Request.Unload(c.preload().get().name()), Response.Done.class);
            }
        }
        assertEquals(List.of(), listed());
        assertEquals(0, regionsPointer());
    }
}
