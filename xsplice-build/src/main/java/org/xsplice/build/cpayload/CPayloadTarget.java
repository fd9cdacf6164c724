package org.xsplice.build.cpayload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfSymbol;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.elf.SymbolType;

/**
 * The hypervisor a C payload is built for: what {@link CPayloadMaker} reads from it. A binary with
 * its ELF symbol table ({@link #ofElf}) is one kind; a distribution's stripped image, read
 * through the symbol table Xen embeds in itself, is another (module xsplice-xen).
 */
public interface CPayloadTarget {

    /** A function or object of the target, by its {@code dl_sym} name. */
    record TargetSymbol(String name, long address, long size) {
        public TargetSymbol {
            Objects.requireNonNull(name, "name");
        }
    }

    /** {@return what the target is, for messages (usually its file)} */
    String description();

    /** {@return the target's build-id: the payload's {@code .livepatch.xen_depends}} */
    BuildId buildId();

    /**
     * {@return the symbol Xen's {@code dl_sym} would find for {@code name}: a global by its plain
     * name, a static as {@code file#name}}
     */
    Optional<TargetSymbol> symbol(String name);

    /** {@return {@code length} bytes of the target's code at {@code address}, empty when the image holds none there} */
    Optional<byte[]> code(long address, int length);

    /** {@return compiler flags the payload needs beyond {@link CPayloadMaker#CFLAGS} to run in this target} */
    default List<String> cflags() {
        return List.of();
    }

    /**
     * {@return whether entries get the target's address as {@code old_addr}, so the payload names
     * exactly the function it was built against; otherwise {@code old_addr} stays 0 and the
     * hypervisor resolves the name when the payload is uploaded}
     */
    default boolean pinsOldAddress() {
        return false;
    }

    /**
     * {@return a target read from a hypervisor binary with its symbol table ({@code xen-syms})}
     *
     * @throws CPayloadException when the file has no build-id or no symbol table
     * @throws UncheckedIOException when it cannot be read
     */
    static CPayloadTarget ofElf(final Path file) {
        try {
            return ofElf(Elf.of().parse(file), file.toString());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read target " + file, e);
        }
    }

    /**
     * {@return a target over a parsed hypervisor binary with its symbol table}
     *
     * @throws CPayloadException when it has no build-id or no symbol table
     */
    static CPayloadTarget ofElf(final ElfModel image, final String description) {
        Objects.requireNonNull(image, "image");
        final BuildId id = image.buildId().orElseThrow(() ->
                new CPayloadException("target " + description + " has no GNU build-id note"));
        if (image.symbolTable().isEmpty()) {
            throw new CPayloadException("target " + description
                    + " has no symbol table: give xen-syms or a distribution's xen.gz, not a stripped ELF");
        }
        final Map<String, TargetSymbol> symbols = new HashMap<>();
        String file = null;
        for (final ElfSymbol s : image.symbols()) {
            if (SymbolType.Known.STT_FILE == s.type()) {
                file = s.name();
            } else if (!s.name().isEmpty() && !s.isUndefined() && SymbolType.Known.STT_SECTION != s.type()) {
                final String n = s.isLocal() && null != file ? file + "#" + s.name() : s.name();
                symbols.putIfAbsent(n, new TargetSymbol(n, s.value(), s.size()));
            }
        }
        return new CPayloadTarget() {
            @Override
            public String description() {
                return description;
            }

            @Override
            public BuildId buildId() {
                return id;
            }

            @Override
            public Optional<TargetSymbol> symbol(final String name) {
                return Optional.ofNullable(symbols.get(name));
            }

            @Override
            public Optional<byte[]> code(final long address, final int length) {
                for (final ElfSection s : image.sections()) {
                    if (s.has(SectionFlag.SHF_ALLOC) && SectionType.Known.SHT_PROGBITS == s.type()
                            && address >= s.address() && address + length <= s.address() + s.size()) {
                        final ByteBuffer c = s.contents();
                        final byte[] out = new byte[length];
                        c.get(c.position() + (int) (address - s.address()), out);
                        return Optional.of(out);
                    }
                }
                return Optional.empty();
            }
        };
    }
}
