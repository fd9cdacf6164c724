package org.xsplice.hv.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;

import org.xsplice.hypervisor.ErrnoException;

/**
 * The Linux system calls the supervisor makes, through the FFM API. Each handle is static
 * final and linked with {@code captureCallState("errno")}; each call gets its own capture
 * segment from a confined arena, so concurrent callers never share errno. Methods throw
 * {@link ErrnoException} naming the call and its target; the raw return is returned otherwise.
 */
public final class Linux {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_APPEND = 0x400;
    public static final int O_CLOEXEC = 0x80000;

    public static final int PTRACE_CONT = 7;
    public static final int PTRACE_SETOPTIONS = 0x4200;
    public static final int PTRACE_SEIZE = 0x4206;
    public static final int PTRACE_O_EXITKILL = 0x100000;
    public static final int PTRACE_EVENT_STOP = 128;
    public static final int WALL = 0x40000000;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int POSIX_SPAWN_SETSID = 0x80;
    private static final short POLLIN = 1;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final long SYS_PIDFD_GETFD = 438;

    // open(2) and ptrace(2) are variadic in glibc; syscall(2) too.
    private static final MethodHandle open$mh = downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
    private static final MethodHandle close$mh = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle pread$mh = downcall("pread64", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle pwrite$mh = downcall("pwrite64", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
    private static final MethodHandle read$mh = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle write$mh = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle poll$mh = downcall("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    private static final MethodHandle ptrace$mh = downcall("ptrace", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle waitpid$mh = downcall("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle kill$mh = downcall("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle syscall3$mh = downcall("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    private static final MethodHandle getuid$mh = downcall("getuid", FunctionDescriptor.of(JAVA_INT), -1);
    private static final MethodHandle spawn$mh = downcall("posix_spawn", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS), -1);
    private static final MethodHandle faInit$mh = downcall("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
    private static final MethodHandle faDestroy$mh = downcall("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
    private static final MethodHandle faOpen$mh = downcall("posix_spawn_file_actions_addopen", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle faDup2$mh = downcall("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle faCloseFrom$mh = downcall("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle attrInit$mh = downcall("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
    private static final MethodHandle attrDestroy$mh = downcall("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
    private static final MethodHandle attrSetFlags$mh = downcall("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, ValueLayout.JAVA_SHORT), -1);

    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; these leave room. */
    private static final long SPAWN_STRUCT_BYTES = 512;

    private Linux() {
    }

    private static MethodHandle downcall(final String name, final FunctionDescriptor fd, final int firstVariadic) {
        final MemorySegment addr = LIBC.find(name)
                .orElseThrow(() -> new LinkageError("Native function " + name + " could not be found"));
        return firstVariadic < 0
                ? LINKER.downcallHandle(addr, fd, Linker.Option.captureCallState("errno"))
                : LINKER.downcallHandle(addr, fd, Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static int errno(final MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static AssertionError linkageBug(final Throwable t) {
        return new AssertionError("FFM call failed outside the native function", t);
    }

    /** {@return a new file descriptor for {@code path}} */
    public static int open(final String path, final int flags, final int mode) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final int fd = (int) open$mh.invokeExact(st, a.allocateFrom(path), flags, mode);
            if (fd < 0) {
                throw new ErrnoException("open(" + path + ")", errno(st));
            }
            return fd;
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    public static void close(final int fd) {
        try (Arena a = Arena.ofConfined()) {
            final int r = (int) close$mh.invokeExact(a.allocate(CAPTURE), fd);
            // close(2) failing on a descriptor we own leaves nothing to undo.
            assert r == 0 || r == -1;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** Reads exactly {@code dst.byteSize()} bytes at {@code offset}, or throws (a short read of /proc/PID/mem means unmapped). */
    public static void preadFully(final int fd, final MemorySegment dst, final long offset, final String what) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            long done = 0;
            while (done < dst.byteSize()) {
                final long n = (long) pread$mh.invokeExact(st, fd, dst.asSlice(done), dst.byteSize() - done, offset + done);
                if (n < 0) {
                    throw new ErrnoException("pread(" + what + " @ 0x" + Long.toHexString(offset + done) + ", " + (dst.byteSize() - done) + ")", errno(st));
                }
                if (0 == n) {
                    throw new ErrnoException("pread(" + what + " @ 0x" + Long.toHexString(offset + done) + ")", 5);
                }
                done += n;
            }
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    public static void pwriteFully(final int fd, final MemorySegment src, final long offset, final String what) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            long done = 0;
            while (done < src.byteSize()) {
                final long n = (long) pwrite$mh.invokeExact(st, fd, src.asSlice(done), src.byteSize() - done, offset + done);
                if (n <= 0) {
                    throw new ErrnoException("pwrite(" + what + " @ 0x" + Long.toHexString(offset + done) + ", " + (src.byteSize() - done) + ")", n < 0 ? errno(st) : 5);
                }
                done += n;
            }
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@return a segment for the errno capture of the *Raw calls, owned by {@code arena}} */
    public static MemorySegment captureSegment(final Arena arena) {
        return arena.allocate(CAPTURE);
    }

    /**
     * One pread into {@code dst} with the caller's capture segment: no allocation, no exception
     * (rendezvous hot path). {@return the byte count, or -errno}
     */
    public static long preadRaw(final int fd, final MemorySegment dst, final long offset, final MemorySegment capture) {
        try {
            final long n = (long) pread$mh.invokeExact(capture, fd, dst, dst.byteSize(), offset);
            return n < 0 ? -errno(capture) : n;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** One pwrite of {@code src}, as {@link #preadRaw}. {@return the byte count, or -errno} */
    public static long pwriteRaw(final int fd, final MemorySegment src, final long offset, final MemorySegment capture) {
        try {
            final long n = (long) pwrite$mh.invokeExact(capture, fd, src, src.byteSize(), offset);
            return n < 0 ? -errno(capture) : n;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** One write(2) of {@code src} (an eventfd's 8-byte count), as {@link #preadRaw}. {@return the byte count, or -errno} */
    public static long writeRaw(final int fd, final MemorySegment src, final MemorySegment capture) {
        try {
            final long n = (long) write$mh.invokeExact(capture, fd, src, src.byteSize());
            return n < 0 ? -errno(capture) : n;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** Adds 1 to an eventfd (wakes whoever waits on it). */
    public static void eventfdSignal(final int fd, final String what) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            final long n = (long) write$mh.invokeExact(st, fd, one, 8L);
            if (8 != n) {
                throw new ErrnoException("write(" + what + ")", n < 0 ? errno(st) : 5);
            }
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** Waits up to {@code timeoutMs} for an eventfd to become readable and drains it; {@return false on timeout} */
    public static boolean eventfdWait(final int fd, final int timeoutMs, final String what) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final MemorySegment pfd = a.allocate(8, 4);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            final int r = (int) poll$mh.invokeExact(st, pfd, 1L, timeoutMs);
            if (r < 0) {
                if (4 == errno(st)) {
                    return false;            // EINTR: the caller's loop re-checks and waits again
                }
                throw new ErrnoException("poll(" + what + ")", errno(st));
            }
            if (0 == r) {
                return false;
            }
            final MemorySegment v = a.allocate(JAVA_LONG);
            final long n = (long) read$mh.invokeExact(st, fd, v, 8L);
            if (n < 0 && 11 != errno(st)) {  // EAGAIN: someone else drained it
                throw new ErrnoException("read(" + what + ")", errno(st));
            }
            return true;
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    public static long ptrace(final int request, final int pid, final long addr, final long data, final String what) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final long r = (long) ptrace$mh.invokeExact(st, (long) request, pid, addr, data);
            if (r < 0) {
                throw new ErrnoException("ptrace(" + what + ", " + pid + ")", errno(st));
            }
            return r;
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@return the raw wait status of {@code pid}} (blocks; EINTR is retried) */
    public static int waitpid(final int pid, final int options) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final MemorySegment status = a.allocate(JAVA_INT);
            for (;;) {
                final int r = (int) waitpid$mh.invokeExact(st, pid, status, options);
                if (r == pid) {
                    return status.get(JAVA_INT, 0);
                }
                if (r < 0 && 4 == errno(st)) {
                    continue;
                }
                throw new ErrnoException("waitpid(" + pid + ")", r < 0 ? errno(st) : 10);
            }
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@return 0, or the errno of kill(2) (ESRCH when the process is gone)} */
    public static int kill(final int pid, final int signal) {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final int r = (int) kill$mh.invokeExact(st, pid, signal);
            return 0 == r ? 0 : errno(st);
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    public static int getuid() {
        try (Arena a = Arena.ofConfined()) {
            return (int) getuid$mh.invokeExact(a.allocate(CAPTURE));
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /** {@return a pidfd for {@code pid} (pidfd_open(2))} */
    public static int pidfdOpen(final int pid) throws ErrnoException {
        return (int) syscall3(SYS_PIDFD_OPEN, pid, 0, 0, "pidfd_open(" + pid + ")");
    }

    /** {@return a local duplicate of the target's descriptor {@code targetFd} (pidfd_getfd(2))} */
    public static int pidfdGetfd(final int pidfd, final int targetFd, final String what) throws ErrnoException {
        return (int) syscall3(SYS_PIDFD_GETFD, pidfd, targetFd, 0, "pidfd_getfd(" + what + ")");
    }

    private static long syscall3(final long nr, final long a1, final long a2, final long a3, final String what) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final long r = (long) syscall3$mh.invokeExact(st, nr, a1, a2, a3);
            if (r < 0) {
                throw new ErrnoException(what, errno(st));
            }
            return r;
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    /**
     * Starts {@code argv[0]} with posix_spawn(3): in a new session (so it outlives a terminal),
     * stdin from /dev/null, stdout and stderr appended to {@code logFile}, every other
     * descriptor of this JVM closed.
     *
     * @return the child's pid
     */
    public static int spawn(final List<String> argv, final List<String> env, final String logFile) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment st = a.allocate(CAPTURE);
            final MemorySegment fa = a.allocate(SPAWN_STRUCT_BYTES, 16);
            final MemorySegment attr = a.allocate(SPAWN_STRUCT_BYTES, 16);
            check((int) faInit$mh.invokeExact(st, fa), "posix_spawn_file_actions_init");
            check((int) attrInit$mh.invokeExact(st, attr), "posix_spawnattr_init");
            try {
                check((int) faOpen$mh.invokeExact(st, fa, 0, a.allocateFrom("/dev/null"), O_RDONLY, 0), "addopen(/dev/null)");
                check((int) faOpen$mh.invokeExact(st, fa, 1, a.allocateFrom(logFile), O_WRONLY | O_CREAT | O_APPEND, 0600), "addopen(" + logFile + ")");
                check((int) faDup2$mh.invokeExact(st, fa, 1, 2), "adddup2");
                check((int) faCloseFrom$mh.invokeExact(st, fa, 3), "addclosefrom_np");
                check((int) attrSetFlags$mh.invokeExact(st, attr, (short) POSIX_SPAWN_SETSID), "posix_spawnattr_setflags");
                final MemorySegment pid = a.allocate(JAVA_INT);
                final int r = (int) spawn$mh.invokeExact(st, pid, a.allocateFrom(argv.getFirst()), fa, attr,
                        cStrings(a, argv), cStrings(a, env));
                // posix_spawn returns the error number instead of setting errno.
                check(r, "posix_spawn(" + argv.getFirst() + ")");
                return pid.get(JAVA_INT, 0);
            } finally {
                final int r1 = (int) faDestroy$mh.invokeExact(st, fa);
                final int r2 = (int) attrDestroy$mh.invokeExact(st, attr);
                assert r1 == 0 && r2 == 0;
            }
        } catch (final ErrnoException e) {
            throw e;
        } catch (final Throwable t) {
            throw linkageBug(t);
        }
    }

    private static void check(final int r, final String what) throws ErrnoException {
        if (0 != r) {
            throw new ErrnoException(what, r);
        }
    }

    private static MemorySegment cStrings(final Arena a, final List<String> strings) {
        final MemorySegment arr = a.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            arr.setAtIndex(ADDRESS, i, a.allocateFrom(strings.get(i)));
        }
        arr.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return arr;
    }
}
