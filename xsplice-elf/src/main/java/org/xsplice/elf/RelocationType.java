package org.xsplice.elf;

/**
 * An x86-64 relocation type, {@code ELF64_R_TYPE(r_info)} (x86-64 psABI 4.4.1, table "Relocation Types").
 *
 * <p>Every value the field can hold is representable: {@link #of(int)} returns the
 * {@link Known} constant for a value the toolkit knows and an {@link Unknown} otherwise, so a
 * file with a value from a newer ABI still reads. Known constants are canonical, so {@code ==}
 * compares them; a pattern switch over this type is exhaustive.
 *
 * @see <a href="https://gitlab.com/x86-psabis/x86-64-ABI">x86-64 psABI</a>
 */
public sealed interface RelocationType permits RelocationType.Known, RelocationType.Unknown {

    /** {@return the numeric value as stored in the file} */
    int code();

    /** {@return the ABI name, e.g. {@code R_X86_64_64}, or a hexadecimal form for unknown values} */
    String name();

    /** {@return the type for {@code code}: a {@link Known} constant when the value is known} */
    static RelocationType of(final int code) {
        final Known k = Known.lookup(code);
        return null != k ? k : new Unknown(code);
    }

    /** The values named by the specifications this toolkit follows. */
    enum Known implements RelocationType {
        /** No relocation. */
        R_X86_64_NONE(0),
        /** S + A, 64 bits. */
        R_X86_64_64(1),
        /** S + A - P, 32 bits. */
        R_X86_64_PC32(2),
        /** G + A. */
        R_X86_64_GOT32(3),
        /** L + A - P. */
        R_X86_64_PLT32(4),
        /** Copy symbol at run time. */
        R_X86_64_COPY(5),
        /** S, GOT entry. */
        R_X86_64_GLOB_DAT(6),
        /** S, PLT entry. */
        R_X86_64_JUMP_SLOT(7),
        /** B + A. */
        R_X86_64_RELATIVE(8),
        /** G + GOT + A - P. */
        R_X86_64_GOTPCREL(9),
        /** S + A, zero-extended 32 bits. */
        R_X86_64_32(10),
        /** S + A, sign-extended 32 bits. */
        R_X86_64_32S(11),
        /** S + A, 16 bits. */
        R_X86_64_16(12),
        /** S + A - P, 16 bits. */
        R_X86_64_PC16(13),
        /** S + A, 8 bits. */
        R_X86_64_8(14),
        /** S + A - P, 8 bits. */
        R_X86_64_PC8(15),
        /** TLS module id. */
        R_X86_64_DTPMOD64(16),
        /** Offset in TLS block. */
        R_X86_64_DTPOFF64(17),
        /** Offset in initial TLS block. */
        R_X86_64_TPOFF64(18),
        /** PC-relative GOT offset, general dynamic TLS. */
        R_X86_64_TLSGD(19),
        /** PC-relative GOT offset, local dynamic TLS. */
        R_X86_64_TLSLD(20),
        /** Offset in TLS block, 32 bits. */
        R_X86_64_DTPOFF32(21),
        /** PC-relative GOT offset, initial exec TLS. */
        R_X86_64_GOTTPOFF(22),
        /** Offset in initial TLS block, 32 bits. */
        R_X86_64_TPOFF32(23),
        /** S + A - P, 64 bits. */
        R_X86_64_PC64(24),
        /** S + A - GOT. */
        R_X86_64_GOTOFF64(25),
        /** GOT + A - P. */
        R_X86_64_GOTPC32(26),
        /** G + A, 64 bits. */
        R_X86_64_GOT64(27),
        /** G + GOT - P + A, 64 bits. */
        R_X86_64_GOTPCREL64(28),
        /** GOT - P + A, 64 bits. */
        R_X86_64_GOTPC64(29),
        /** Like GOT64, implies a PLT entry. */
        R_X86_64_GOTPLT64(30),
        /** L - GOT + A. */
        R_X86_64_PLTOFF64(31),
        /** Z + A, 32 bits. */
        R_X86_64_SIZE32(32),
        /** Z + A, 64 bits. */
        R_X86_64_SIZE64(33),
        /** PC-relative GOT offset of a TLS descriptor. */
        R_X86_64_GOTPC32_TLSDESC(34),
        /** Marks a call through a TLS descriptor. */
        R_X86_64_TLSDESC_CALL(35),
        /** TLS descriptor. */
        R_X86_64_TLSDESC(36),
        /** Indirect (B + A). */
        R_X86_64_IRELATIVE(37),
        /** B + A, 64 bits (ILP32). */
        R_X86_64_RELATIVE64(38),
        /** Deprecated (MPX). */
        R_X86_64_PC32_BND(39),
        /** Deprecated (MPX). */
        R_X86_64_PLT32_BND(40),
        /** Relaxable GOTPCREL. */
        R_X86_64_GOTPCRELX(41),
        /** Relaxable GOTPCREL with a REX prefix. */
        R_X86_64_REX_GOTPCRELX(42),
        /** Relaxable GOTPCREL, REX2 prefix. */
        R_X86_64_CODE_4_GOTPCRELX(43),
        /** GOTTPOFF, REX2 prefix. */
        R_X86_64_CODE_4_GOTTPOFF(44),
        /** GOTPC32_TLSDESC, REX2 prefix. */
        R_X86_64_CODE_4_GOTPC32_TLSDESC(45),
        /** Relaxable GOTPCREL, EVEX/5-byte prefix. */
        R_X86_64_CODE_5_GOTPCRELX(46),
        /** GOTTPOFF, 5-byte prefix. */
        R_X86_64_CODE_5_GOTTPOFF(47),
        /** GOTPC32_TLSDESC, 5-byte prefix. */
        R_X86_64_CODE_5_GOTPC32_TLSDESC(48),
        /** Relaxable GOTPCREL, 6-byte prefix. */
        R_X86_64_CODE_6_GOTPCRELX(49),
        /** GOTTPOFF, 6-byte prefix. */
        R_X86_64_CODE_6_GOTTPOFF(50),
        /** GOTPC32_TLSDESC, 6-byte prefix. */
        R_X86_64_CODE_6_GOTPC32_TLSDESC(51);

        private static final CodeIndex<Known> BY_CODE = new CodeIndex<>(values(), Known::code);

        private final int code;

        Known(final int code) {
            this.code = code;
        }

        @Override
        public int code() {
            return code;
        }

        static Known lookup(final int code) {
            return BY_CODE.get(code);
        }
    }

    /**
     * A value this toolkit has no name for.
     *
     * @param code the numeric value as stored in the file
     */
    record Unknown(int code) implements RelocationType {
        @Override
        public String name() {
            return String.format("R_X86_64_0x%x", code);
        }
    }
}
