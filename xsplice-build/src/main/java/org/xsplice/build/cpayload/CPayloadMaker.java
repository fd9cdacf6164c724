package org.xsplice.build.cpayload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ElfTransform;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationType;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.PayloadSections;

/**
 * Makes a payload from a hand-written C file, as Xen's own test payloads are made:
 *
 * <pre>
 *  FILE.c --gcc -c (livepatch.h)--> FILE.o --fill sizes, RO funcs, depends notes--> FILE.tmp.o
 *         --ld -r --build-id=sha1--> payload (with .note.gnu.build-id)
 * </pre>
 *
 * Sizes left 0 in the source are filled in: {@code new_size} from the replacement symbol,
 * {@code old_size} from the target's symbol table, which also refuses functions too small
 * for a jump; for a target that {@linkplain CPayloadTarget#pinsOldAddress pins addresses},
 * {@code old_addr} too, unless the entry was declared with {@code XSPLICE_PATCH_BY_NAME}.
 * The target adds its own compiler flags ({@link CPayloadTarget#cflags}). Every ELF edit goes
 * through the ELF toolkit.
 */
public final class CPayloadMaker {
    /**
     * Flags the payload C is compiled with: only PC32/PLT32/64 relocations come out, and every
     * function keeps a frame pointer (the stack check walks the rbp chain through payload code).
     */
    public static final List<String> CFLAGS = List.of("-O2", "-ffunction-sections", "-fdata-sections", "-fpie",
            "-fno-common", "-fno-asynchronous-unwind-tables", "-fno-omit-frame-pointer", "-mno-omit-leaf-frame-pointer");
    private static final String HEADER = "include/xsplice/livepatch.h";
    private static final byte[] ENDBR64 = {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa};
    /**
     * Non-alloc section in which {@code XSPLICE_PATCH_BY_NAME} lists the functions whose
     * {@code old_addr} stays 0 for the hypervisor to resolve by name; the hypervisor never loads it.
     */
    public static final String BY_NAME_SECTION = ".xsplice.by_name";

    private CPayloadMaker() {
    }

    /**
     * Makes the payload.
     *
     * @return the payload's own build-id
     * @throws CPayloadException when compiling, completing an entry or linking fails
     * @throws IOException       when a file cannot be read or written
     */
    public static BuildId make(final CPayloadOptions o) throws IOException {
        final CPayloadTarget target = o.target();
        final BuildId xen = target.buildId();
        final Path work = Files.createTempDirectory("xsplice-cfile");
        try {
            final Path inc = work.resolve("include");
            Files.createDirectories(inc.resolve("xsplice"));
            try (InputStream in = CPayloadMaker.class.getClassLoader().getResourceAsStream(HEADER)) {
                if (null == in) {
                    throw new CPayloadException("resource " + HEADER + " is missing from the class path");
                }
                Files.write(inc.resolve("xsplice/livepatch.h"), in.readAllBytes());
            }
            final Path obj = work.resolve("payload.o");
            final List<String> cc = new ArrayList<>(List.of("gcc"));
            cc.addAll(CFLAGS);
            cc.addAll(target.cflags());
            cc.add("-I" + inc);
            o.includeDirs().forEach(d -> cc.add("-I" + d.toAbsolutePath()));
            cc.addAll(List.of("-c", o.source().toAbsolutePath().toString(), "-o", obj.toString()));
            run(cc, work);
            final ElfModel m = Elf.of().parse(obj);
            final byte[] completed = complete(m, target, xen, o.depends().orElse(xen));
            final Path tmp = work.resolve("payload.tmp.o");
            Files.write(tmp, completed);
            final Path out = o.output().toAbsolutePath();
            if (null != out.getParent()) {
                Files.createDirectories(out.getParent());
            }
            run(List.of("ld", "-r", "--build-id=sha1", "-o", out.toString(), tmp.toString()), work);
            return Elf.of().parse(out).buildId().orElseThrow(() ->
                    new CPayloadException("ld -r --build-id=sha1 wrote no build-id note into " + out));
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The note and link step of {@link #make} on its own, for payload objects made elsewhere
     * (xsplice-build's differ): fills and checks the entries' sizes, makes the funcs read-only,
     * adds both depends notes and links with {@code ld -r --build-id=sha1}.
     *
     * @param object  the payload object, with {@code .livepatch.funcs}
     * @param target  the hypervisor binary it patches
     * @param depends the build-id for {@code .livepatch.depends}; empty: the target's
     * @param output  the payload file to write
     * @return the payload's own build-id
     * @throws CPayloadException when an entry cannot be completed or linking fails
     * @throws IOException       when a file cannot be written
     */
    public static BuildId finish(final ElfModel object, final ElfModel target, final Optional<BuildId> depends,
                                 final Path output) throws IOException {
        return finish(object, CPayloadTarget.ofElf(target, "hypervisor binary"), depends, output);
    }

    /** As {@link #finish(ElfModel, ElfModel, Optional, Path)}, for any target. */
    public static BuildId finish(final ElfModel object, final CPayloadTarget target, final Optional<BuildId> depends,
                                 final Path output) throws IOException {
        final BuildId xen = target.buildId();
        final Path work = Files.createTempDirectory("xsplice-finish");
        try {
            final Path tmp = work.resolve("payload.tmp.o");
            Files.write(tmp, complete(object, target, xen, depends.orElse(xen)));
            final Path out = output.toAbsolutePath();
            run(List.of("ld", "-r", "--build-id=sha1", "-o", out.toString(), tmp.toString()), work);
            return Elf.of().parse(out).buildId().orElseThrow(() ->
                    new CPayloadException("ld -r --build-id=sha1 wrote no build-id note into " + out));
        } finally {
            deleteTree(work);
        }
    }

    /** Fills the sizes of every entry, makes the funcs read-only and adds both depends notes. */
    static byte[] complete(final ElfModel m, final CPayloadTarget target, final BuildId xen, final BuildId depends) {
        final Optional<ElfSection> funcs = m.section(PayloadSections.FUNCS);
        final Set<String> byName = byName(m);
        final ElfTransform fill = (b, e) -> {
            if (e instanceof ElfSection s && funcs.isPresent() && s == funcs.get()) {
                final byte[] filled = fillSizes(m, s, target, byName);
                b.with(s.withFlags(s.flags() & ~SectionFlag.SHF_WRITE.mask()).withContents(filled));
            } else {
                b.with(e);
            }
        };
        return Elf.of().transform(m, fill.andThen(ElfTransform.endHandler(b -> b
                .withNotes(PayloadSections.XEN_DEPENDS, ElfNote.buildId(xen.bytes()))
                .withNotes(PayloadSections.DEPENDS, ElfNote.buildId(depends.bytes())))));
    }

    /** The functions {@code XSPLICE_PATCH_BY_NAME} asked to leave at {@code old_addr} 0. */
    private static Set<String> byName(final ElfModel m) {
        final Set<String> out = new HashSet<>();
        for (final ElfSection s : m.sections()) {
            if (BY_NAME_SECTION.equals(s.name())) {
                for (final String n : new String(s.bytes(), StandardCharsets.UTF_8).split("\0")) {
                    if (!n.isEmpty()) {
                        out.add(n);
                    }
                }
            }
        }
        return out;
    }

    private static byte[] fillSizes(final ElfModel m, final ElfSection s, final CPayloadTarget target,
                                    final Set<String> byName) {
        final byte[] data = s.bytes();
        if (0 == data.length || 0 != data.length % LivepatchFunc.V2_SIZE) {
            throw new CPayloadException(PayloadSections.FUNCS + " has " + data.length + " bytes, expected a multiple of "
                    + LivepatchFunc.V2_SIZE + ": use the XSPLICE_PATCH macros of xsplice/livepatch.h");
        }
        final Map<Long, Relocation> byOffset = new HashMap<>();
        for (final Relocation r : m.relocations(s)) {
            byOffset.put(r.offset(), r);
        }
        final ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (int off = 0; off < data.length; off += LivepatchFunc.V2_SIZE) {
            final int index = off / LivepatchFunc.V2_SIZE;
            final Relocation nameRel = byOffset.get((long) off + LivepatchFunc.NAME_OFFSET);
            if (null == nameRel || RelocationType.Known.R_X86_64_64 != nameRel.type()) {
                throw new CPayloadException(PayloadSections.FUNCS + "[" + index + "] has no name pointer");
            }
            final String name = string(nameRel);
            final Relocation newRel = byOffset.get((long) off + LivepatchFunc.NEW_ADDR_OFFSET);
            final String where = PayloadSections.FUNCS + "[" + index + "] '" + name + "'";
            if (null != newRel && 0 == bb.getInt(off + 24)) {
                final ElfSymbol fn = definedAt(m, newRel).orElseThrow(() ->
                        new CPayloadException(where + ": new_addr does not point to a function of the payload"));
                if (0 == fn.size()) {
                    throw new CPayloadException(where + ": replacement " + fn.name() + " has no size");
                }
                bb.putInt(off + 24, (int) fn.size());
            }
            final CPayloadTarget.TargetSymbol old = target.symbol(name).orElseThrow(() ->
                    new CPayloadException(where + ": the target has no symbol '" + name
                            + "' (a static function is named file#function)"));
            if (target.pinsOldAddress() && !byName.contains(name) && 0 == bb.getLong(off + LivepatchFunc.OLD_ADDR_OFFSET)
                    && !byOffset.containsKey((long) off + LivepatchFunc.OLD_ADDR_OFFSET)) {
                bb.putLong(off + LivepatchFunc.OLD_ADDR_OFFSET, old.address());
            }
            if (0 == bb.getInt(off + 28)) {
                if (old.size() <= 0 || old.size() > Integer.MAX_VALUE) {
                    throw new CPayloadException(where + ": the target's symbol has size " + old.size());
                }
                bb.putInt(off + 28, (int) old.size());
            }
            final long oldSize = Integer.toUnsignedLong(bb.getInt(off + 28));
            if (null != newRel) {
                final boolean endbr = target.code(old.address(), ENDBR64.length)
                        .map(c -> Arrays.equals(ENDBR64, c)).orElse(false);
                final long need = LivepatchFunc.JMP_SIZE + (endbr ? LivepatchFunc.ENDBR64_SIZE : 0);
                if (oldSize < need) {
                    throw new CPayloadException(where + ": too small to patch: " + oldSize + " bytes, a jump needs "
                            + need + (endbr ? " (the function starts with ENDBR64)" : ""));
                }
            }
        }
        return data;
    }

    /** The string an {@code R_X86_64_64} relocation points to: symbol's section at value + addend. */
    private static String string(final Relocation r) {
        final ElfSymbol sym = r.symbol().orElseThrow();
        final ElfSection sec = sym.section().orElseThrow(() ->
                new CPayloadException("name pointer refers to undefined symbol " + sym.name()));
        final byte[] d = sec.bytes();
        final int start = (int) (sym.value() + r.addend());
        int z = start;
        while (z < d.length && 0 != d[z]) {
            z++;
        }
        return new String(d, start, z - start, StandardCharsets.UTF_8);
    }

    /** The function a relocation points at, whether gcc used its symbol or its section symbol + addend. */
    private static Optional<ElfSymbol> definedAt(final ElfModel m, final Relocation r) {
        final ElfSymbol sym = r.symbol().orElseThrow();
        if (SymbolType.Known.STT_FUNC == sym.type()) {
            return Optional.of(sym);
        }
        final Optional<ElfSection> sec = sym.section();
        if (sec.isEmpty()) {
            return Optional.empty();
        }
        final long value = sym.value() + r.addend();
        return m.symbols().stream()
                .filter(x -> SymbolType.Known.STT_FUNC == x.type() && x.section().equals(sec) && x.value() == value)
                .max(Comparator.comparing(x -> !x.isLocal()));
    }

    private static void run(final List<String> cmd, final Path dir) throws IOException {
        final Path log = dir.resolve("cmd.log");
        final Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CPayloadException(String.join(" ", cmd) + ": timed out after 120 s");
            }
        } catch (final InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CPayloadException("interrupted while running " + cmd.getFirst(), e);
        }
        if (0 != p.exitValue()) {
            throw new CPayloadException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n"
                    + Files.readString(log, StandardCharsets.UTF_8).strip());
        }
    }

    private static void deleteTree(final Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (final Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
