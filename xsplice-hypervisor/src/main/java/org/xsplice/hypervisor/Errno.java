package org.xsplice.hypervisor;

import java.util.Optional;

/**
 * Linux x86-64 errno values by name, as the hypervisor reports them (Xen returns {@code -errno}
 * from hypercalls; the reference hypervisor and the system calls the supervisor makes do the
 * same). Only values the project produces or meets are listed.
 */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    ESRCH(3, "No such process"),
    EINTR(4, "Interrupted system call"),
    EIO(5, "Input/output error"),
    ENXIO(6, "No such device or address"),
    E2BIG(7, "Argument list too long"),
    ENOEXEC(8, "Exec format error"),
    EBADF(9, "Bad file descriptor"),
    ECHILD(10, "No child processes"),
    EAGAIN(11, "Resource temporarily unavailable"),
    ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"),
    EFAULT(14, "Bad address"),
    EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "No such device"),
    ENOTDIR(20, "Not a directory"),
    EISDIR(21, "Is a directory"),
    EINVAL(22, "Invalid argument"),
    EMFILE(24, "Too many open files"),
    EFBIG(27, "File too large"),
    ENOSPC(28, "No space left on device"),
    ESPIPE(29, "Illegal seek"),
    EROFS(30, "Read-only file system"),
    ERANGE(34, "Numerical result out of range"),
    ENAMETOOLONG(36, "File name too long"),
    ENOSYS(38, "Function not implemented"),
    ENODATA(61, "No data available"),
    EOVERFLOW(75, "Value too large for defined data type"),
    EOPNOTSUPP(95, "Operation not supported"),
    ENOBUFS(105, "No buffer space available"),
    ETIMEDOUT(110, "Connection timed out"),
    ECONNREFUSED(111, "Connection refused");

    private final int code;
    private final String description;

    Errno(final int code, final String description) {
        this.code = code;
        this.description = description;
    }

    /** {@return the positive errno number} */
    public int code() {
        return code;
    }

    /** {@return strerror()'s text} */
    public String description() {
        return description;
    }

    /** {@return the errno with this number, if listed} */
    public static Optional<Errno> of(final int code) {
        for (final Errno e : values()) {
            if (e.code == code) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** {@return "EFAULT (Bad address)", or "errno 123" for an unlisted number} */
    public static String describe(final int code) {
        return of(code).map(e -> e.name() + " (" + e.description + ")").orElse("errno " + code);
    }

    /** {@return "EFAULT", or "errno 123" for an unlisted number} */
    public static String name(final int code) {
        return of(code).map(Enum::name).orElse("errno " + code);
    }
}
