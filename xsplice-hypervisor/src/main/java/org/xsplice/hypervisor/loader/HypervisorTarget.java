package org.xsplice.hypervisor.loader;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

import org.xsplice.elf.BuildId;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.SectionFlag;
import org.xsplice.elf.SectionType;
import org.xsplice.hypervisor.symbols.SymbolTable;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * What the loader needs to know about the hypervisor a payload is loaded into: its build-id,
 * its symbol table (Xen's {@code dl_sym} names), its code bytes (to spot ENDBR64) and where the
 * payload area is.
 */
public interface HypervisorTarget {
    /** The symbol the reference hypervisor reserves its payload area with. */
    String PAYLOAD_AREA_SYMBOL = "xsplice_payload_area";
    /** Size of the virtual area an offline check uses for a binary that reserves none. */
    long VIRTUAL_AREA_SIZE = 64L << 20;

    /** {@return the hypervisor's build-id} */
    BuildId buildId();

    /** {@return the hypervisor's own symbols} */
    SymbolTable symbols();

    /**
     * {@return {@code length} bytes of hypervisor memory at {@code address}}
     *
     * @throws PayloadException EFAULT when the bytes cannot be read
     */
    byte[] read(long address, int length);

    /** {@return the start of the payload area (page aligned)} */
    long areaStart();

    /** {@return the payload area's size in bytes} */
    long areaSize();

    /**
     * {@return whether a payload's static (local) functions and objects count as new symbols, as
     * in Xen 4.17: they must not clash with the hypervisor's global names or another loaded
     * payload's new symbols (EEXIST "duplicate new symbol"), and later payloads can link against
     * them by plain name. The reference hypervisor keeps them private (false)}
     */
    default boolean localSymbolsAreNew() {
        return false;
    }

    /**
     * {@return the one {@code struct livepatch_func} version the hypervisor accepts, when it accepts
     * only one (Xen 4.17.3 and later: 2, and version 1 is EOPNOTSUPP); empty: 1 and 2, each in its
     * own layout, as the reference hypervisor accepts them}
     */
    default OptionalInt funcsVersion() {
        return OptionalInt.empty();
    }

    /**
     * {@return a target made from a hypervisor binary with its symbol table ({@code xen-syms}):
     * symbols and build-id from the file, code read from its sections, and the payload area where
     * the running image would have it: the {@value #PAYLOAD_AREA_SYMBOL} object when the binary
     * reserves one, else a virtual area right after the image}
     *
     * @throws PayloadException EINVAL when the file has no symbol table or no build-id
     */
    static HypervisorTarget ofImage(final ElfModel image) {
        Objects.requireNonNull(image, "image");
        if (image.symbolTable().isEmpty()) {
            throw new PayloadException(Errno.EINVAL, "hypervisor image has no symbol table (stripped?)");
        }
        final BuildId id = image.buildId().orElseThrow(() ->
                new PayloadException(Errno.EINVAL, "hypervisor image has no GNU build-id note"));
        final SymbolTable symbols = SymbolTable.fromElf(image, Optional.empty());
        final long areaStart;
        final long areaSize;
        final Optional<org.xsplice.hypervisor.symbols.Symbol> area = symbols.lookup(PAYLOAD_AREA_SYMBOL);
        if (area.isPresent() && area.get().size() > 0) {
            areaStart = area.get().address();
            areaSize = area.get().size();
        } else {
            long end = 0;
            for (final ElfSection s : image.sections()) {
                if (s.has(SectionFlag.SHF_ALLOC)) {
                    end = Math.max(end, s.address() + s.size());
                }
            }
            areaStart = (end + (2L << 20) - 1) & -(2L << 20);
            areaSize = VIRTUAL_AREA_SIZE;
        }
        return new HypervisorTarget() {
            @Override
            public BuildId buildId() {
                return id;
            }

            @Override
            public SymbolTable symbols() {
                return symbols;
            }

            @Override
            public byte[] read(final long address, final int length) {
                for (final ElfSection s : image.sections()) {
                    if (s.has(SectionFlag.SHF_ALLOC) && SectionType.Known.SHT_PROGBITS == s.type()
                            && address >= s.address() && address - s.address() <= s.size() - length) {
                        final java.nio.ByteBuffer c = s.contents();
                        final byte[] out = new byte[length];
                        c.get(c.position() + (int) (address - s.address()), out);
                        return out;
                    }
                }
                throw new PayloadException(Errno.EFAULT, "hypervisor address 0x" + Long.toHexString(address)
                        + " (" + length + " bytes) is not in the image's code or data");
            }

            @Override
            public long areaStart() {
                return areaStart;
            }

            @Override
            public long areaSize() {
                return areaSize;
            }
        };
    }
}
