package org.xsplice.payload;

import java.util.Optional;

/**
 * The Linux/Xen errno values the livepatch interface reports, with the names and texts users
 * see. Xen's hypercalls return {@code -errno}; the toolstack prints the name and the text.
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
    EXDEV(18, "Invalid cross-device link"),
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
    ETIME(62, "Timer expired"),
    ENOPKG(65, "Package not installed"),
    EBADMSG(74, "Bad message"),
    EOVERFLOW(75, "Value too large for defined data type"),
    EOPNOTSUPP(95, "Operation not supported"),
    ENOBUFS(105, "No buffer space available"),
    ETIMEDOUT(110, "Connection timed out"),
    ECONNREFUSED(111, "Connection refused"),
    ENOKEY(126, "Required key not available"),
    EKEYEXPIRED(127, "Key has expired"),
    EKEYREVOKED(128, "Key has been revoked"),
    EKEYREJECTED(129, "Key was rejected by service");

    private final int number;
    private final String text;

    Errno(final int number, final String text) {
        this.number = number;
        this.text = text;
    }

    /** {@return the positive errno number, as in {@code <errno.h>} on Linux x86-64} */
    public int number() {
        return number;
    }

    /** {@return the text {@code strerror(3)} gives for this errno} */
    public String text() {
        return text;
    }

    /** {@return the errno with this number (sign ignored), if it is one xsplice knows} */
    public static Optional<Errno> of(final int number) {
        final int n = Math.abs(number);
        for (final Errno e : values()) {
            if (e.number == n) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** {@return "NAME" for a known errno, "errno N" otherwise} */
    public static String nameOf(final int number) {
        return of(number).map(Errno::name).orElse("errno " + Math.abs(number));
    }

    /** {@return "NAME (text)" for a known errno, "errno N" otherwise} */
    public static String describe(final int number) {
        return of(number).map(e -> e.name() + " (" + e.text + ")").orElse("errno " + Math.abs(number));
    }
}
