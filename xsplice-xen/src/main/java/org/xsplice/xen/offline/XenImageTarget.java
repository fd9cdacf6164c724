package org.xsplice.xen.offline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

import org.xsplice.build.cpayload.CPayloadTarget;
import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.loader.HypervisorTarget;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.hypervisor.symbols.SymbolTable;
import org.xsplice.payload.Errno;
import org.xsplice.payload.LivepatchFunc;
import org.xsplice.payload.PayloadException;
import org.xsplice.xen.image.EmbeddedSymbolTable;
import org.xsplice.xen.image.XenImage;
import org.xsplice.xen.image.XenSymbol;

/**
 * A distribution's stock Xen image ({@code xen.gz}, {@code xen}, or a {@code xen-syms} read
 * through its embedded table) as the target of both the payload loader's offline checks
 * ({@link HypervisorTarget}: {@code xen-xsplice check --target xen.gz}) and C payloads
 * ({@link CPayloadTarget}: {@code xsplice-build cfile --target xen.gz}).
 *
 * <pre>
 *  xen.gz ──XenImage.read──► build-id, XenSymbol(name, address, size, type)*, loaded bytes
 *                                  │
 *        ┌─────────────────────────┴─────────────────────────┐
 *  HypervisorTarget                                    CPayloadTarget
 *   symbols(): Symbol, statics file#name                symbol(name), code(addr, n)
 *   read(): image bytes at hypervisor addresses         cflags(): Xen's x86 code model
 *   area: Xen 4.17's VMAP_XEN, after the image          pinsOldAddress(): true
 *   localSymbolsAreNew(): true (Xen 4.17)
 *   funcsVersion(): 2 only (Xen 4.17.3+)
 * </pre>
 *
 * <p>Symbols keep what the embedded table knows: no ELF type (text symbols are functions, data
 * symbols objects) and sizes that run to the next symbol, padding included, exactly what Xen's
 * own {@code symbols_lookup()} reports at upload.
 */
public final class XenImageTarget implements HypervisorTarget, CPayloadTarget
{
    /** x86-64 {@code XEN_VIRT_END - XEN_VIRT_START}: Xen's image and its VMAP_XEN area share 1 GiB. */
    private static final long XEN_VIRT_SIZE = 1L << 30;
    private static final long TWO_MIB = 2L << 20;

    private final XenImage image;
    private final String description;
    private final SymbolTable symbols;
    private final Map<String, XenSymbol> byName = new HashMap<>();
    private final long areaStart;
    private final long areaSize;
    private final List<String> cflags;

    /**
     * @param image       the decoded image
     * @param description what to call it in messages (its file)
     */
    public XenImageTarget(final XenImage image, final String description)
    {
        this.image = Objects.requireNonNull(image, "image");
        this.description = Objects.requireNonNull(description, "description");
        final List<Symbol> out = new ArrayList<>(image.symbols().size());
        long end = 0;
        for (final XenSymbol s : image.symbols())
        {
            // The first definition wins, as Xen's own search by name does.
            byName.putIfAbsent(s.name(), s);
            out.add(symbol(s));
            end = Math.max(end, s.address() - EmbeddedSymbolTable.X86_64_ORIGIN);
        }
        this.symbols = SymbolTable.of(out);
        // Xen 4.17 x86 maps payloads with vmap(VMAP_XEN), which covers the rest of Xen's 1 GiB
        // after the image (rounded up to 2 MiB) minus one page per possible CPU at the top.
        final long startOffset = (end + TWO_MIB - 1) & -TWO_MIB;
        this.areaStart = EmbeddedSymbolTable.X86_64_ORIGIN + startOffset;
        this.areaSize = Math.max(0, XEN_VIRT_SIZE - startOffset - TWO_MIB);
        this.cflags = cflags(image);
    }

    /**
     * {@return the target read from an image file}
     *
     * @throws org.xsplice.xen.image.XenImageFormatException if it is not a Xen image
     */
    public static XenImageTarget read(final Path file) throws IOException
    {
        return new XenImageTarget(XenImage.read(file), file.toString());
    }

    /** {@return the decoded image} */
    public XenImage image()
    {
        return image;
    }

    /** {@return the table entry as the hypervisor side's symbol: {@code file#name} split into file and name} */
    static Symbol symbol(final XenSymbol s)
    {
        final int hash = s.name().lastIndexOf('#');
        final Optional<String> file = hash > 0 ? Optional.of(s.name().substring(0, hash)) : Optional.empty();
        final String name = hash > 0 ? s.name().substring(hash + 1) : s.name();
        final Symbol.Kind kind = switch (Character.toLowerCase(s.type()))
        {
            case 't', 'w' -> Symbol.Kind.FUNCTION;
            case 'd', 'r', 'b', 'g', 's', 'v' -> Symbol.Kind.OBJECT;
            default -> Symbol.Kind.OTHER;
        };
        return new Symbol(name, s.address(), s.size(), kind, file, Optional.empty());
    }

    /**
     * Xen's x86 code model, from what the image itself links against: no red zone (interrupts
     * and exceptions run on the same stack), no SSE/MMX (guest state lives in those registers),
     * no stack protector (Xen has no canary); retpoline and return thunks when the image has
     * {@code __x86_indirect_thunk_*} / {@code __x86_return_thunk}; ENDBR64 landing pads when
     * its functions carry them (CET-IBT), so hooks Xen calls indirectly are valid targets.
     */
    private static List<String> cflags(final XenImage image)
    {
        final List<String> out = new ArrayList<>(List.of("-mno-red-zone", "-mno-mmx", "-mno-sse", "-msoft-float",
                                                         "-fno-stack-protector", "-ffreestanding"));
        final boolean thunks = image.symbol("__x86_indirect_thunk_rax").isPresent();
        if (thunks)
        {
            out.addAll(List.of("-mindirect-branch=thunk-extern", "-mindirect-branch-register", "-fno-jump-tables"));
        }
        if (image.symbol("__x86_return_thunk").isPresent())
        {
            out.add("-mfunction-return=thunk-extern");
        }
        out.add(ibt(image) ? "-fcf-protection=branch" : "-fcf-protection=none");
        return List.copyOf(out);
    }

    /** Xen marks only its indirect-call targets with ENDBR64; any such function means an IBT build. */
    private static boolean ibt(final XenImage image)
    {
        final byte[] endbr = {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa};
        for (final XenSymbol s : image.symbols())
        {
            if ('t' == Character.toLowerCase(s.type()) && s.size() >= endbr.length
                && image.bytes(s.address(), endbr.length).map(b -> java.util.Arrays.equals(endbr, b)).orElse(false))
            {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ both

    @Override
    public BuildId buildId()
    {
        return image.buildId();
    }

    @Override
    public byte[] read(final long address, final int length)
    {
        return image.bytes(address, length).orElseThrow(() -> new PayloadException(Errno.EFAULT,
            "hypervisor address 0x" + Long.toHexString(address) + " (" + length + " bytes) is not in the image "
            + description + "'s loaded bytes"));
    }

    // ------------------------------------------------------------------ HypervisorTarget

    @Override
    public SymbolTable symbols()
    {
        return symbols;
    }

    @Override
    public long areaStart()
    {
        return areaStart;
    }

    @Override
    public long areaSize()
    {
        return areaSize;
    }

    /** Xen 4.17 adds a payload's statics to the new symbols it checks for duplicates. */
    @Override
    public boolean localSymbolsAreNew()
    {
        return true;
    }

    /** Xen 4.17.3 and later take payload version 2 only (104-byte entries); 4.17.7 says EOPNOTSUPP to 1. */
    @Override
    public OptionalInt funcsVersion()
    {
        return OptionalInt.of(LivepatchFunc.V2);
    }

    // ------------------------------------------------------------------ CPayloadTarget

    @Override
    public String description()
    {
        return description;
    }

    @Override
    public Optional<TargetSymbol> symbol(final String name)
    {
        return Optional.ofNullable(byName.get(name)).map(s -> new TargetSymbol(s.name(), s.address(), s.size()));
    }

    @Override
    public Optional<byte[]> code(final long address, final int length)
    {
        return image.bytes(address, length);
    }

    @Override
    public List<String> cflags()
    {
        return cflags;
    }

    /** A payload for a distribution image names the exact function it was built against. */
    @Override
    public boolean pinsOldAddress()
    {
        return true;
    }
}
