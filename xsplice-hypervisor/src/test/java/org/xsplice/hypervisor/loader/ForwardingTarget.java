package org.xsplice.hypervisor.loader;

import java.util.BitSet;
import java.util.Optional;
import java.util.OptionalInt;

import org.xsplice.elf.BuildId;
import org.xsplice.hypervisor.symbols.SymbolTable;

/** A target that answers as another one does: a test overrides only the answer it changes. */
class ForwardingTarget implements HypervisorTarget {
    private final HypervisorTarget t;

    ForwardingTarget(final HypervisorTarget t) {
        this.t = t;
    }

    @Override
    public BuildId buildId() {
        return t.buildId();
    }

    @Override
    public SymbolTable symbols() {
        return t.symbols();
    }

    @Override
    public byte[] read(final long address, final int length) {
        return t.read(address, length);
    }

    @Override
    public long areaStart() {
        return t.areaStart();
    }

    @Override
    public long areaSize() {
        return t.areaSize();
    }

    @Override
    public Optional<BitSet> cpuFeatures() {
        return t.cpuFeatures();
    }

    @Override
    public boolean localSymbolsAreNew() {
        return t.localSymbolsAreNew();
    }

    @Override
    public OptionalInt funcsVersion() {
        return t.funcsVersion();
    }
}
