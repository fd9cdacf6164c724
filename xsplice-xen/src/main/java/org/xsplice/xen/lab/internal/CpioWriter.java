package org.xsplice.xen.lab.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Writes a cpio archive in the "newc" format (magic {@code 070701}), the one format Linux's
 * initramfs unpacker reads. The kernel does not create missing parent directories, so every
 * parent of a file is emitted once as a directory entry before it.
 *
 * <p>Layout of an entry: a 110-byte ASCII header of thirteen 8-digit hex fields, the NUL-terminated
 * name, padding to a multiple of 4, the data, padding to a multiple of 4. The archive ends with an
 * entry named {@code TRAILER!!!}.
 */
public final class CpioWriter implements AutoCloseable
{
    private static final int MODE_DIR = 0040755;
    private static final int MODE_FILE = 0100644;
    private static final int MODE_EXEC = 0100755;

    private final OutputStream out;
    private final Set<String> directories = new HashSet<>();
    private long written;
    private int inode = 1;

    public CpioWriter(final OutputStream out)
    {
        this.out = Objects.requireNonNull(out, "out");
    }

    /** Adds a regular file at {@code path} (absolute in the guest, e.g. {@code /lab/cmd/001}). */
    public void file(final String path, final byte[] data, final boolean executable) throws IOException
    {
        final String name = relative(path);
        parents(name);
        entry(name, executable ? MODE_EXEC : MODE_FILE, data);
    }

    /**
     * Copies a host file or a whole host directory tree to {@code path} in the guest. A symbolic
     * link to a file (jlink links the legal notices of one module to another's) becomes a copy.
     */
    public void copy(final Path host, final String path) throws IOException
    {
        if (!Files.isDirectory(host))
        {
            file(path, Files.readAllBytes(host), Files.isExecutable(host));
            return;
        }
        final List<Path> tree;
        try (Stream<Path> walk = Files.walk(host))
        {
            tree = walk.sorted().toList();
        }
        for (final Path p : tree)
        {
            final String rel = host.relativize(p).toString();
            final String target = rel.isEmpty() ? path : path + "/" + rel;
            if (Files.isSymbolicLink(p) && !Files.isRegularFile(p))
            {
                throw new IOException("symbolic links other than to files are not copied into the lab: " + p);
            }
            if (Files.isDirectory(p))
            {
                directory(target);
            }
            else
            {
                file(target, Files.readAllBytes(p), Files.isExecutable(p));
            }
        }
    }

    /** Adds a directory (and its parents) if not added yet. */
    public void directory(final String path) throws IOException
    {
        final String name = relative(path);
        parents(name);
        if (directories.add(name))
        {
            entry(name, MODE_DIR, new byte[0]);
        }
    }

    @Override
    public void close() throws IOException
    {
        entry("TRAILER!!!", 0, new byte[0]);
        out.flush();
    }

    private void parents(final String name) throws IOException
    {
        int slash = name.indexOf('/');
        while (slash > 0)
        {
            final String dir = name.substring(0, slash);
            if (directories.add(dir))
            {
                entry(dir, MODE_DIR, new byte[0]);
            }
            slash = name.indexOf('/', slash + 1);
        }
    }

    private void entry(final String name, final int mode, final byte[] data) throws IOException
    {
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        final StringBuilder h = new StringBuilder(110).append("070701");
        final boolean dir = (mode & 0170000) == 0040000;
        for (final long field : new long[] {
            inode++, mode, 0, 0, dir ? 2 : 1, 0, data.length, 0, 0, 0, 0, nameBytes.length + 1L, 0 })
        {
            h.append(String.format("%08x", field));
        }
        write(h.toString().getBytes(StandardCharsets.US_ASCII));
        write(nameBytes);
        write(new byte[] { 0 });
        pad();
        write(data);
        pad();
    }

    private void write(final byte[] b) throws IOException
    {
        out.write(b);
        written += b.length;
    }

    private void pad() throws IOException
    {
        while (0 != (written & 3))
        {
            write(new byte[] { 0 });
        }
    }

    private static String relative(final String path)
    {
        if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/..") || path.length() < 2)
        {
            throw new IllegalArgumentException("guest path must be absolute and normal: " + path);
        }
        return path.substring(1);
    }

    /** {@return the bytes written so far} */
    public long size()
    {
        return written;
    }
}
