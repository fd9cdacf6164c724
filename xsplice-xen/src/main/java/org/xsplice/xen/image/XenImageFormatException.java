package org.xsplice.xen.image;

import java.io.Serial;

/**
 * A Xen image is malformed or not of a kind this reader knows: names the structure and the
 * offset (in the image file, or in the loaded segment where stated) at which reading failed.
 */
public final class XenImageFormatException extends IllegalArgumentException
{
    @Serial
    private static final long serialVersionUID = 1L;

    private final String structure;
    private final long offset;
    private final String problem;

    public XenImageFormatException(final String structure, final long offset, final String problem)
    {
        super(String.format("malformed Xen image: %s at offset 0x%x: %s", structure, offset, problem));
        this.structure = structure;
        this.offset = offset;
        this.problem = problem;
    }

    public XenImageFormatException(final String structure, final long offset, final String problem,
                                   final Throwable cause)
    {
        this(structure, offset, problem);
        initCause(cause);
    }

    /** {@return the structure that is malformed, e.g. {@code "ELF32 program header 1"}} */
    public String structure()
    {
        return structure;
    }

    /** {@return what is wrong there} */
    public String problem()
    {
        return problem;
    }

    /** {@return where it is} */
    public long offset()
    {
        return offset;
    }
}
