package org.xsplice.build;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.xsplice.build.diff.Target;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ObjectType;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.RelocationType;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.PayloadSections;

/**
 * Xen's upload checks (docs: livepatch-abi.md section 2) that a built payload must pass against
 * its target, applied offline. Until the loader's {@code xen-xsplice check} is on this branch
 * the scenarios use these; each returns the list of violations (empty = accepted).
 */
final class PayloadChecks {
    private static final Set<RelocationType> LOADABLE = Set.of(RelocationType.Known.R_X86_64_NONE,
            RelocationType.Known.R_X86_64_64, RelocationType.Known.R_X86_64_PC32, RelocationType.Known.R_X86_64_PLT32);

    private PayloadChecks() {
    }

    static List<String> check(final Path payload, final Target target) throws IOException {
        final List<String> bad = new ArrayList<>();
        final ElfModel m = Elf.of().parse(payload).validate();
        if (m.type() != ObjectType.Known.ET_REL) {
            bad.add("e_type " + m.type());
        }
        if (!m.programHeaders().isEmpty()) {
            bad.add("program headers present");
        }
        if (m.sections().stream().filter(s -> s.type() == SectionType.Known.SHT_SYMTAB).count() != 1) {
            bad.add("not exactly one SHT_SYMTAB");
        }
        for (final ElfSection s : m.sections()) {
            if (s.type() == SectionType.Known.SHT_REL) {
                bad.add("SHT_REL section " + s.name());
            }
            if (s.has(SectionFlag.SHF_WRITE) && s.has(SectionFlag.SHF_EXECINSTR)) {
                bad.add("writable and executable " + s.name());
            }
        }
        for (final String need : List.of(PayloadSections.BUILD_ID, PayloadSections.XEN_DEPENDS, PayloadSections.DEPENDS)) {
            if (m.section(need).isEmpty()) {
                bad.add("missing " + need);
            }
        }
        m.section(PayloadSections.XEN_DEPENDS).ifPresent(s -> {
            final List<ElfNote> n = m.notes(s);
            if (n.size() != 1 || !n.getFirst().isBuildId()
                    || !java.util.Arrays.equals(n.getFirst().descriptor(), target.buildId().bytes())) {
                bad.add(".livepatch.xen_depends is not the target's build-id");
            }
        });
        final Set<ElfSymbol> replacements = new HashSet<>();
        m.section(PayloadSections.FUNCS).ifPresentOrElse(s -> {
            if (s.size() % LivepatchFunc.V2_SIZE != 0) {
                bad.add(".livepatch.funcs size " + s.size());
                return;
            }
            for (final LivepatchFunc f : LivepatchFunc.decodeAll(s.bytes())) {
                if (f.version() != LivepatchFunc.V2 || f.oldSize() < LivepatchFunc.JMP_SIZE) {
                    bad.add("bad livepatch_func " + f);
                }
            }
            for (final Relocation r : m.relocations(s)) {
                if (r.offset() % LivepatchFunc.V2_SIZE == LivepatchFunc.NEW_ADDR_OFFSET) {
                    r.symbol().ifPresent(replacements::add);
                }
            }
        }, () -> bad.add("no .livepatch.funcs"));
        for (final RelocationSection rs : m.relocationSections()) {
            for (final Relocation r : rs.relocations()) {
                if (!LOADABLE.contains(r.type())) {
                    bad.add("relocation " + r.type().name() + " for " + rs.target().map(org.xsplice.elf.ElfSection::name).orElse("?"));
                }
                if (r.type() != RelocationType.Known.R_X86_64_NONE && r.symbol().isEmpty()) {
                    bad.add("relocation against symbol 0 in " + rs.target().map(org.xsplice.elf.ElfSection::name).orElse("?"));
                }
                r.symbol().flatMap(ElfSymbol::section).ifPresent(sec -> {
                    if (!sec.has(SectionFlag.SHF_ALLOC)) {
                        bad.add("relocation against non-loaded section " + sec.name());
                    }
                });
            }
        }
        for (final ElfSymbol s : m.symbols()) {
            if (s.index() == 0 || s.type() == SymbolType.Known.STT_SECTION || s.type() == SymbolType.Known.STT_FILE) {
                continue;
            }
            if (s.isCommon()) {
                bad.add("SHN_COMMON symbol " + s.name());
            } else if (s.isUndefined()) {
                if (target.lookup(s.name()).size() != 1) {
                    bad.add("Unknown symbol " + s.name() + " (" + target.lookup(s.name()).size() + " matches)");
                }
            } else if (!replacements.contains(s) && !target.lookup(s.name()).isEmpty()) {
                bad.add("duplicate new symbol " + s.name());
            }
        }
        return bad;
    }
}
