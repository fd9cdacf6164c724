package org.xsplice.hypervisor.loader;

import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.symbols.Symbol;
import org.xsplice.payload.Errno;
import org.xsplice.payload.Hook;
import org.xsplice.payload.ModInfo;

/**
 * A payload the loader accepted: where its memory is, what it patches and what it exports.
 * Immutable; a state change makes a copy ({@link #withState}).
 *
 * <pre>
 *  base                                                         base + size
 *  | text (RX)         | rw: .data .bss (RW) | ro: rodata, notes, funcs, hooks (RO) |
 *    textAddr            rwAddr                roAddr            each page aligned
 * </pre>
 *
 * @param name       the name given at upload
 * @param state      CHECKED after upload
 * @param rc         0, or the negative errno of the last action ({@code -EAGAIN} while pending)
 * @param base       the block allocated in the payload area
 * @param size       its size (whole pages)
 * @param textAddr   start of text
 * @param textSize   bytes of text (before page rounding)
 * @param rwAddr     start of writable data
 * @param rwSize     bytes of writable data (0: the payload has no .data/.bss)
 * @param roAddr     start of read-only data
 * @param roSize     bytes of read-only data
 * @param funcs      the functions it patches, in section order
 * @param hooks      the hook function addresses by kind
 * @param buildId    its own build-id
 * @param xenDepends the hypervisor build-id it was built for
 * @param depends    the build-id it must be stacked on
 * @param symbols    every function and object symbol it defines (for symbolisation), by address
 * @param exported   its new symbols, which later payloads may link against
 * @param exTable    its exception table, sorted by fault address
 * @param bugFrames  its loaded bug-frame sections (registered with its region)
 * @param modInfo    its {@code .modinfo}, if any
 */
public record LoadedPayload(String name, PayloadState state, int rc, long base, long size, long textAddr,
                            long textSize, long rwAddr, long rwSize, long roAddr, long roSize, List<LoadedFunc> funcs,
                            Map<Hook, List<Long>> hooks, BuildId buildId, BuildId xenDepends, BuildId depends,
                            List<Symbol> symbols, List<Symbol> exported, List<ExTableEntry> exTable,
                            List<BugFrameTable> bugFrames, Optional<ModInfo> modInfo) {
    public LoadedPayload {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
        funcs = List.copyOf(funcs);
        final EnumMap<Hook, List<Long>> h = new EnumMap<>(Hook.class);
        hooks.forEach((k, v) -> h.put(k, List.copyOf(v)));
        hooks = java.util.Collections.unmodifiableMap(h);
        symbols = List.copyOf(symbols);
        exported = List.copyOf(exported);
        exTable = List.copyOf(exTable);
        bugFrames = List.copyOf(bugFrames);
    }

    /** {@return a copy in {@code newState} with {@code newRc}} */
    public LoadedPayload withState(final PayloadState newState, final int newRc) {
        return new LoadedPayload(name, newState, newRc, base, size, textAddr, textSize, rwAddr, rwSize, roAddr, roSize,
                funcs, hooks, buildId, xenDepends, depends, symbols, exported, exTable, bugFrames, modInfo);
    }

    /** {@return the number of pages the payload occupies} */
    public long pages() {
        return size / AreaAllocator.PAGE;
    }

    /** {@return the metadata GET/LIST show: the .modinfo strings joined by ';'} */
    public String metadata() {
        return modInfo.map(ModInfo::metadata).orElse("");
    }

    /** {@return the rc as the toolstack prints it: 0, or "-22 (EINVAL)"} */
    public String rcText() {
        return 0 == rc ? "0" : rc + " (" + Errno.nameOf(rc) + ")";
    }

    /**
     * {@return what debug key 'x' prints for this payload, in Xen's format
     * ({@code livepatch_printall}): a header line, one line per function, the build-ids}
     */
    public String xenDump() {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(" name=%s state=%s(%d) %#x (.data=%#x, .rodata=%#x) using %d pages.%n", name,
                state.name(), state.code(), textAddr, rwAddr, roAddr, pages()));
        for (final LoadedFunc f : funcs) {
            sb.append(String.format("    %s patch %#x(%d) with %#x (%d)%n", f.name(), f.oldAddr(), f.oldSize(),
                    f.newAddr(), f.newSize()));
        }
        final HexFormat hex = HexFormat.of();
        sb.append("build-id=").append(hex.formatHex(buildId.bytes())).append('\n');
        sb.append("depend-on=").append(hex.formatHex(depends.bytes())).append('\n');
        sb.append("depend-on-xen=").append(hex.formatHex(xenDepends.bytes())).append('\n');
        return sb.toString();
    }

    /** {@return the region to register with the hypervisor for fixups and symbolisation} */
    public PayloadRegion region() {
        return new PayloadRegion(name, textAddr, textAddr + textSize, exTable, symbols, xenDump(), bugFrames);
    }
}
