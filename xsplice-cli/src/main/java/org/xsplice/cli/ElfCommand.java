package org.xsplice.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfHeader;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.ProgramHeader;
import org.xsplice.elf.Relocation;
import org.xsplice.elf.RelocationSection;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionGroup;
import org.xsplice.elf.SymbolTable;
import org.xsplice.elf.SymbolType;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xsplice elf FILE}: prints an ELF file's header, sections, symbols, relocations, notes
 * (with the GNU build-id), program headers and groups, laid out like {@code readelf -hSsrnlgW}.
 * With no part selected it prints them all. A malformed file prints the reader's error (field,
 * offset, what was expected) and exits 1.
 */
@Command(name = "elf",
        mixinStandardHelpOptions = true,
        header = "Print an ELF file's sections, symbols, relocations and notes.",
        description = {"Prints the parts selected by the options, or all of them when none is given.",
            "A malformed file prints the error (field, file offset, what was expected) and exits 1."})
public final class ElfCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "An ELF64 x86-64 file (object, executable, shared object).")
    Path file;

    @Option(names = {"-H", "--header"}, description = "The file header and the build-id.")
    boolean header;

    @Option(names = {"-S", "--sections"}, description = "The section headers.")
    boolean sections;

    @Option(names = {"-s", "--symbols"}, description = "The symbol tables (.symtab and .dynsym).")
    boolean symbols;

    @Option(names = {"-r", "--relocs"}, description = "The relocation sections.")
    boolean relocs;

    @Option(names = {"-n", "--notes"}, description = "The notes, with the GNU build-id.")
    boolean notes;

    @Option(names = {"-l", "--segments"}, description = "The program headers.")
    boolean segments;

    @Option(names = {"-g", "--groups"}, description = "The section groups.")
    boolean groups;

    @Override
    public Integer call() {
        final PrintWriter out = spec.commandLine().getOut();
        final ElfModel m;
        try {
            m = Elf.of().parse(file);
            final boolean all = !(header || sections || symbols || relocs || notes || segments || groups);
            if (all || header) {
                printHeader(out, m);
            }
            if (all || sections) {
                printSections(out, m);
            }
            if (all || groups) {
                printGroups(out, m, all);
            }
            if (all || segments) {
                printSegments(out, m, all);
            }
            if (all || symbols) {
                printSymbols(out, m);
            }
            if (all || relocs) {
                printRelocations(out, m);
            }
            if (all || notes) {
                printNotes(out, m);
            }
            out.flush();
            return ExitCodes.OK;
        } catch (final ElfFormatException e) {
            out.flush();
            spec.commandLine().getErr().println("xsplice elf: " + file + ": " + e.getMessage());
            return ExitCodes.ERROR;
        } catch (final IOException e) {
            spec.commandLine().getErr().println("xsplice elf: " + file + ": cannot read: " + e);
            return ExitCodes.ERROR;
        }
    }

    private static void printHeader(final PrintWriter out, final ElfModel m) {
        final ElfHeader h = m.header();
        out.println("ELF header:");
        out.printf("  Type:                %s%n", h.type().name());
        out.printf("  Machine:             %s%n", ElfHeader.EM_X86_64 == h.machine() ? "EM_X86_64" : h.machine());
        out.printf("  OS/ABI, ABI version: %d, %d%n", h.osAbi(), h.abiVersion());
        out.printf("  Entry point:         0x%x%n", h.entry());
        out.printf("  Flags:               0x%x%n", h.flags());
        out.printf("  Section headers:     %d at offset 0x%x, names in section %d%n", h.sectionHeaderCount(),
                h.sectionHeaderOffset(), h.sectionNameIndex());
        out.printf("  Program headers:     %d at offset 0x%x%n", h.programHeaderCount(), h.programHeaderOffset());
        out.printf("  File size:           %d bytes%n", m.size());
        out.printf("  Build ID:            %s%n", m.buildId().map(b -> b.hex()).orElse("(none)"));
        out.println();
    }

    private static void printSections(final PrintWriter out, final ElfModel m) {
        final List<ElfSection> all = m.sections();
        int width = 17;
        for (final ElfSection s : all) {
            width = Math.max(width, Math.min(48, s.name().length()));
        }
        out.printf("Section headers (%d):%n", all.size());
        final String row = "  [%2s] %-" + width + "s %-15s %-16s %-8s %-8s %-2s %-4s %3s %3s %2s%n";
        out.printf(row, "Nr", "Name", "Type", "Address", "Off", "Size", "ES", "Flg", "Lk", "Inf", "Al");
        for (final ElfSection s : all) {
            out.printf(row, s.index(), s.name(), s.type().name().replaceFirst("^SHT_", ""),
                    String.format("%016x", s.address()), String.format("%08x", s.offset()),
                    String.format("%08x", s.size()), String.format("%02x", s.entrySize()), flags(s.flags()), s.link(),
                    s.info(), s.alignment());
        }
        out.println("Key to flags: W write, A alloc, X execute, M merge, S strings, I info, L link order,");
        out.println("  O OS-specific processing, G group, T TLS, C compressed, R retain, l large, E exclude, x unknown");
        out.println();
    }

    /** {@return the flags as readelf letters} */
    static String flags(final long f) {
        final StringBuilder b = new StringBuilder();
        long known = 0;
        for (final SectionFlag x : SectionFlag.values()) {
            known |= x.mask();
            if (0 != (f & x.mask())) {
                b.append(switch (x) {
                    case SHF_WRITE -> 'W';
                    case SHF_ALLOC -> 'A';
                    case SHF_EXECINSTR -> 'X';
                    case SHF_MERGE -> 'M';
                    case SHF_STRINGS -> 'S';
                    case SHF_INFO_LINK -> 'I';
                    case SHF_LINK_ORDER -> 'L';
                    case SHF_OS_NONCONFORMING -> 'O';
                    case SHF_GROUP -> 'G';
                    case SHF_TLS -> 'T';
                    case SHF_COMPRESSED -> 'C';
                    case SHF_GNU_RETAIN -> 'R';
                    case SHF_X86_64_LARGE -> 'l';
                    case SHF_EXCLUDE -> 'E';
                });
            }
        }
        if (0 != (f & ~known)) {
            b.append('x');
        }
        return b.toString();
    }

    private static void printGroups(final PrintWriter out, final ElfModel m, final boolean onlyIfAny) {
        final List<SectionGroup> gs = m.groups();
        if (gs.isEmpty() && onlyIfAny) {
            return;
        }
        out.printf("Section groups (%d):%n", gs.size());
        for (final SectionGroup g : gs) {
            out.printf("  %s%s [%s] contains %d sections:%n", g.isComdat() ? "COMDAT " : "", g.name(),
                    g.signature().name(), g.members().size());
            for (final ElfSection s : g.members()) {
                out.printf("    [%5d] %s%n", s.index(), s.name());
            }
        }
        out.println();
    }

    private static void printSegments(final PrintWriter out, final ElfModel m, final boolean onlyIfAny) {
        final List<ProgramHeader> ps = m.programHeaders();
        if (ps.isEmpty() && onlyIfAny) {
            return;
        }
        out.printf("Program headers (%d):%n", ps.size());
        out.println("  Type             Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align");
        for (final ProgramHeader p : ps) {
            out.printf("  %-16s %08x 0x%016x 0x%016x %08x %08x %s 0x%x%n", p.type().name().replaceFirst("^PT_", ""),
                    p.offset(),
                    p.virtualAddress(), p.physicalAddress(), p.fileSize(), p.memorySize(), p.flagString(),
                    p.alignment());
        }
        out.println();
    }

    private static void printSymbols(final PrintWriter out, final ElfModel m) {
        printTable(out, m.dynamicSymbolTable());
        printTable(out, m.symbolTable());
        if (m.symbolTable().isEmpty() && m.dynamicSymbolTable().isEmpty()) {
            out.println("No symbol table.");
            out.println();
        }
    }

    private static void printTable(final PrintWriter out, final Optional<SymbolTable> table) {
        if (table.isEmpty()) {
            return;
        }
        final SymbolTable t = table.get();
        out.printf("Symbol table %s (%d entries, first non-local %d):%n", t.section().name(), t.size(), t.firstNonLocal());
        out.println("   Num:    Value          Size Type        Bind        Vis           Ndx Name");
        for (final ElfSymbol s : t.symbols()) {
            out.printf("%6d: %016x %5d %-11s %-11s %-13s %5s %s%n", s.index(), s.value(), s.size(),
                    s.type().name().substring(4), s.binding().name().substring(4), s.visibility().name().substring(4),
                    sectionIndex(s), displayName(s));
        }
        out.println();
    }

    private static String sectionIndex(final ElfSymbol s) {
        if (s.section().isPresent()) {
            return Integer.toString(s.sectionIndex());
        }
        return switch (s.sectionIndex()) {
            case ElfSymbol.SHN_UNDEF -> "UND";
            case ElfSymbol.SHN_ABS -> "ABS";
            case ElfSymbol.SHN_COMMON -> "COM";
            case ElfSymbol.SHN_X86_64_LCOMMON -> "LCOM";
            default -> String.format("0x%x", s.sectionIndex());
        };
    }

    /** {@return the symbol's name; for a section symbol, the section's name, as readelf shows it} */
    static String displayName(final ElfSymbol s) {
        if (SymbolType.Known.STT_SECTION == s.type() && s.name().isEmpty() && s.section().isPresent()) {
            return s.section().get().name();
        }
        return s.name();
    }

    private static void printRelocations(final PrintWriter out, final ElfModel m) {
        final List<RelocationSection> rs = m.relocationSections();
        if (rs.isEmpty()) {
            out.println("No relocations.");
            out.println();
            return;
        }
        for (final RelocationSection r : rs) {
            final List<Relocation> list = r.relocations();
            out.printf("Relocation section %s (%s, %d entries):%n", r.section().map(ElfSection::name).orElse("?"),
                    r.target().map(t -> "applies to [" + t.index() + "] " + t.name()).orElse("dynamic"), list.size());
            out.println("  Offset           Type                      Sym   Symbol + Addend");
            for (final Relocation x : list) {
                final String sym = x.symbol().map(ElfCommand::displayName).orElse("");
                out.printf("  %016x %-25s %5d %s %s 0x%x%n", x.offset(), x.type().name(), x.symbolIndex(), sym,
                        x.addend() < 0 ? "-" : "+", Math.abs(x.addend()));
            }
            out.println();
        }
    }

    private static void printNotes(final PrintWriter out, final ElfModel m) {
        final List<ElfNote> ns = m.notes();
        if (ns.isEmpty()) {
            out.println("No notes.");
            out.println();
            return;
        }
        out.printf("Notes (%d):%n", ns.size());
        out.println("  Owner        Type                     Size  Description");
        for (final ElfNote n : ns) {
            final String desc = n.isBuildId() ? "Build ID: " + HexFormat.of().formatHex(n.descriptor())
                    : n.descriptorSize() <= 32 ? HexFormat.of().formatHex(n.descriptor()) : "...";
            out.printf("  %-12s %-24s %4d  %s%n", n.name(), noteType(n), n.descriptorSize(), desc);
        }
        out.println();
    }

    private static String noteType(final ElfNote n) {
        if (!ElfNote.GNU.equals(n.name())) {
            return String.format("0x%x", n.type());
        }
        return switch (n.type()) {
            case ElfNote.NT_GNU_ABI_TAG -> "NT_GNU_ABI_TAG";
            case ElfNote.NT_GNU_BUILD_ID -> "NT_GNU_BUILD_ID";
            case ElfNote.NT_GNU_PROPERTY_TYPE_0 -> "NT_GNU_PROPERTY_TYPE_0";
            default -> String.format("0x%x", n.type());
        };
    }
}
