package org.xsplice.hv.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.xsplice.hypervisor.ErrnoException;
import org.xsplice.hypervisor.memory.HypervisorMemory;

/**
 * The hypervisor process's memory through {@code /proc/PID/mem}: pread/pwrite at the virtual
 * address. The kernel performs the access as a debugger would (FOLL_FORCE), so writes reach
 * read-only text without the page ever becoming writable in the process. The caller must be
 * allowed to ptrace the process (its tracer, or root).
 */
public final class ProcMemoryImpl implements HypervisorMemory, AutoCloseable {
    private final int fd;
    private final String what;

    public ProcMemoryImpl(final int pid) throws ErrnoException {
        this.what = "/proc/" + pid + "/mem";
        this.fd = Linux.open(what, Linux.O_RDWR | Linux.O_CLOEXEC, 0);
    }

    @Override
    public byte[] read(final long address, final int length) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment seg = a.allocate(Math.max(1, length));
            Linux.preadFully(fd, seg.asSlice(0, length), address, what);
            return seg.asSlice(0, length).toArray(JAVA_BYTE);
        }
    }

    @Override
    public void write(final long address, final byte[] bytes) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment seg = a.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, seg, JAVA_BYTE, 0, bytes.length);
            Linux.pwriteFully(fd, seg.asSlice(0, bytes.length), address, what);
        }
    }

    @Override
    public long readLong(final long address) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            return readScalar(a, address, 8).get(JAVA_LONG_UNALIGNED, 0);
        }
    }

    @Override
    public void writeLong(final long address, final long value) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment seg = a.allocate(8, 8);
            seg.set(JAVA_LONG_UNALIGNED, 0, value);
            Linux.pwriteFully(fd, seg, address, what);
        }
    }

    @Override
    public int readInt(final long address) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            return readScalar(a, address, 4).get(JAVA_INT_UNALIGNED, 0);
        }
    }

    @Override
    public void writeInt(final long address, final int value) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment seg = a.allocate(4, 4);
            seg.set(JAVA_INT_UNALIGNED, 0, value);
            Linux.pwriteFully(fd, seg, address, what);
        }
    }

    /** One pread of a naturally aligned scalar: the kernel copies it with one load, never torn. */
    private MemorySegment readScalar(final Arena a, final long address, final int size) throws ErrnoException {
        final MemorySegment seg = a.allocate(size, size);
        Linux.preadFully(fd, seg, address, what);
        return seg;
    }

    /** {@return the descriptor of {@code /proc/PID/mem}, for the rendezvous driver's allocation-free accesses} */
    public int fd() {
        return fd;
    }

    @Override
    public void close() {
        Linux.close(fd);
    }
}
