package org.xsplice.sign.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.xsplice.elf.Elf;
import org.xsplice.elf.ElfFormatException;
import org.xsplice.elf.ElfHeader;
import org.xsplice.elf.ElfModel;
import org.xsplice.elf.ElfNote;
import org.xsplice.elf.ElfSection;
import org.xsplice.elf.ElfTransform;
import org.xsplice.elf.SectionType;

/**
 * Where the signature lives in a payload and which bytes it covers (docs/payload-format.md,
 * "Signature").
 *
 * <pre>
 *  signed file S                                   canonical bytes C (what is signed)
 *  +---------------------------+ 0                 +---------------------------+
 *  | ELF header, sections,     |                   | identical                 |
 *  | section header table:     |                   |                           |
 *  |  [k] .note.xsplice.sig    |                   |  [k] sh_offset = 0        |
 *  |      sh_offset = o  ------+--+                |      sh_size   = 0        |
 *  |      sh_size   = n        |  |                |                           |
 *  | ...                       |  |                |                           |
 *  +---------------------------+ o (4-aligned)     +---------------------------+ o
 *  | note: namesz=8 descsz type|<-+
 *  | "xsplice\0" CMS DER, pad  |
 *  +---------------------------+ o + n = file length
 * </pre>
 * The note is the file's tail and nothing else lies there; C is S cut at {@code o} with the
 * 16 bytes of the note's {@code sh_offset} and {@code sh_size} zeroed. Every other byte of
 * the file is in C, and every byte of the tail is checked by the note parser or the CMS
 * signature, so no byte can change without failing verification.
 */
public final class LayoutImpl {
    /** The signature section's name. */
    public static final String SECTION = ".note.xsplice.sig";
    /** The note's owner name. */
    public static final String OWNER = "xsplice";
    /**
     * The note type, in owner "xsplice"'s namespace: ASCII "XSIG". Not a small number: readelf
     * names small types of unknown owners after generic ones (1 prints as NT_VERSION).
     */
    public static final int NT_XSPLICE_SIGNATURE = 0x58534947;
    /** The payload build-id section (livepatch ABI). */
    public static final String BUILD_ID_SECTION = ".note.gnu.build-id";

    /** namesz, descsz, type. */
    static final int NOTE_HEADER = 12;
    /** "xsplice\0": 8 bytes, already 4-aligned. */
    static final byte[] OWNER_FIELD = "xsplice\0".getBytes(StandardCharsets.US_ASCII);
    static final int DESC_OFFSET = NOTE_HEADER + 8;
    /** Offsets inside an Elf64_Shdr. */
    static final int SH_TYPE = 4, SH_FLAGS = 8, SH_ADDR = 16, SH_OFFSET = 24, SH_SIZE = 32, SH_LINK = 40,
            SH_INFO = 44, SH_ADDRALIGN = 48, SH_ENTSIZE = 56;
    static final int NOTE_ALIGN = 4;

    private LayoutImpl() {
    }

    /**
     * A payload as the signature code sees it.
     *
     * @param bytes the file, not copied
     * @param model the toolkit's model of it
     * @param headerOffset file offset of the signature section's Elf64_Shdr, or -1 without one
     * @param signature the signature section, if the payload has one (it may be empty)
     * @param buildId the payload's build-id in hex, if {@code .note.gnu.build-id} holds one
     */
    public record Payload(byte[] bytes, ElfModel model, long headerOffset, Optional<ElfSection> signature,
                          Optional<String> buildId) {
        /** {@return whether the payload carries a non-empty signature section} */
        public boolean signed() {
            return signature.isPresent() && signature.get().size() > 0;
        }
    }

    /** The bytes a signature covers, as a view over the signed file. */
    public record Canonical(byte[] bytes, int length, int zeroFrom) implements CmsImpl.Content {
        private static final byte[] ZEROS = new byte[SH_SIZE + 8 - SH_OFFSET];

        @Override
        public void writeTo(final OutputStream out) throws IOException {
            out.write(bytes, 0, zeroFrom);
            out.write(ZEROS);
            out.write(bytes, zeroFrom + ZEROS.length, length - zeroFrom - ZEROS.length);
        }

        /** {@return the canonical bytes as an array (for display, re-signing and interoperability tests)} */
        public byte[] toByteArray() {
            final byte[] c = Arrays.copyOf(bytes, length);
            Arrays.fill(c, zeroFrom, zeroFrom + ZEROS.length, (byte) 0);
            return c;
        }
    }

    /**
     * {@return the payload's model, signature section and build-id}
     *
     * @throws ElfFormatException if the file is not an ELF object the toolkit reads
     * @throws MalformedException if it has more than one signature section
     */
    public static Payload read(final byte[] bytes) throws MalformedException {
        final ElfModel model = Elf.of().parse(bytes);
        final List<ElfSection> found = new ArrayList<>();
        for (final ElfSection s : model.sections()) {
            if (s.index() > 0 && SECTION.equals(s.name())) {
                found.add(s);
            }
        }
        if (found.size() > 1) {
            throw new MalformedException("payload has " + found.size() + " " + SECTION + " sections (indices "
                    + found.stream().map(s -> Integer.toString(s.index())).toList() + "); a payload carries one signature");
        }
        final Optional<ElfSection> sig = found.stream().findFirst();
        final long headerOffset = sig.map(s -> model.header().sectionHeaderOffset()
                + (long) s.index() * model.header().sectionHeaderEntrySize()).orElse(-1L);
        return new Payload(bytes, model, headerOffset, sig, buildId(model));
    }

    private static Optional<String> buildId(final ElfModel model) {
        try {
            final Optional<ElfSection> s = model.section(BUILD_ID_SECTION);
            if (s.isEmpty() || s.get().type() != SectionType.Known.SHT_NOTE) {
                return Optional.empty();
            }
            for (final ElfNote n : model.notes(s.get())) {
                if (n.isBuildId()) {
                    return Optional.of(java.util.HexFormat.of().formatHex(n.descriptor()));
                }
            }
            return Optional.empty();
        } catch (final ElfFormatException e) {
            // The loader refuses a payload whose build-id note is malformed; for signatures it
            // is simply absent (a signed payload cannot change it: the note is signed).
            return Optional.empty();
        }
    }

    /**
     * {@return the CMS DER in a signed payload's note, checking the layout and the note}
     *
     * @throws MalformedException naming the field and offset that break the layout
     */
    public static byte[] signatureDer(final Payload p) throws MalformedException {
        final ElfSection s = p.signature().orElseThrow();
        final long o = s.offset();
        final long n = s.size();
        final long len = p.bytes().length;
        final String at = SECTION + " (section " + s.index() + ", sh_offset 0x" + Long.toHexString(o)
                + ", sh_size 0x" + Long.toHexString(n) + ")";
        expect(s.type() == SectionType.Known.SHT_NOTE, at + ": type " + s.type().name() + ", expected SHT_NOTE");
        expect(0 == s.flags() && 0 == s.address() && 0 == s.link() && 0 == s.info() && NOTE_ALIGN == s.alignment()
                && 0 == s.entrySize(), at + ": header fields differ from flags 0, addr 0, link 0, info 0, addralign 4, entsize 0");
        expect(o + n == len, at + ": the signature must end the file (0x" + Long.toHexString(len) + " bytes)");
        expect(0 == o % NOTE_ALIGN && o >= ElfHeader.SIZE, at + ": sh_offset not 4-aligned or inside the ELF header");
        final ElfHeader h = p.model().header();
        final long shtEnd = h.sectionHeaderOffset() + (long) h.sectionHeaderCount() * h.sectionHeaderEntrySize();
        expect(shtEnd <= o, at + ": overlaps the section header table (ends at 0x" + Long.toHexString(shtEnd) + ")");
        final long phtEnd = h.programHeaderOffset() + (long) h.programHeaderCount() * h.programHeaderEntrySize();
        expect(0 == h.programHeaderCount() || phtEnd <= o, at + ": overlaps the program header table");
        for (final ElfSection other : p.model().sections()) {
            if (other == s || 0 == other.index() || other.type() == SectionType.Known.SHT_NOBITS || 0 == other.size()) {
                continue;
            }
            expect(other.offset() + other.size() <= o, at + ": overlaps section " + other.index() + " '" + other.name()
                    + "' (0x" + Long.toHexString(other.offset()) + "+0x" + Long.toHexString(other.size()) + ")");
        }
        expect(n >= DESC_OFFSET, at + ": too small for a note header and owner name");
        final ByteBuffer b = ByteBuffer.wrap(p.bytes(), (int) o, (int) n).slice().order(ByteOrder.LITTLE_ENDIAN);
        final long namesz = Integer.toUnsignedLong(b.getInt(0));
        final long descsz = Integer.toUnsignedLong(b.getInt(4));
        final int type = b.getInt(8);
        expect(OWNER_FIELD.length == namesz, at + ": note namesz " + namesz + " at offset 0x" + Long.toHexString(o)
                + ", expected 8 (\"xsplice\\0\")");
        expect(Arrays.equals(p.bytes(), (int) o + NOTE_HEADER, (int) o + DESC_OFFSET, OWNER_FIELD, 0, OWNER_FIELD.length),
                at + ": note owner at offset 0x" + Long.toHexString(o + NOTE_HEADER) + " is not \"xsplice\"");
        expect(NT_XSPLICE_SIGNATURE == type, at + ": note type 0x" + Integer.toHexString(type) + " at offset 0x"
                + Long.toHexString(o + 8) + ", expected 0x" + Integer.toHexString(NT_XSPLICE_SIGNATURE));
        expect(descsz <= CmsImpl.MAX_DER_BYTES, at + ": note descsz " + descsz + " exceeds " + CmsImpl.MAX_DER_BYTES);
        expect(DESC_OFFSET + align4(descsz) == n, at + ": note descsz " + descsz + " at offset 0x"
                + Long.toHexString(o + 4) + " does not fill the section (truncated or padded note)");
        for (long i = DESC_OFFSET + descsz; i < n; i++) {
            expect(0 == b.get((int) i), at + ": non-zero note padding at offset 0x" + Long.toHexString(o + i));
        }
        return Arrays.copyOfRange(p.bytes(), (int) (o + DESC_OFFSET), (int) (o + DESC_OFFSET + descsz));
    }

    /** {@return the canonical view of a signed payload whose layout {@link #signatureDer} accepted} */
    public static Canonical canonical(final Payload p) {
        return new Canonical(p.bytes(), (int) p.signature().orElseThrow().offset(), (int) p.headerOffset() + SH_OFFSET);
    }

    /**
     * {@return the canonical bytes of a payload that has an empty signature section: the file
     * padded to 4 bytes, with the section's header set to the fixed values of the format}
     */
    public static byte[] canonicalOfUnsigned(final Payload p) {
        final byte[] c = Arrays.copyOf(p.bytes(), (int) align4(p.bytes().length));
        final ByteBuffer b = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
        final int h = (int) p.headerOffset();
        b.putInt(h + SH_TYPE, SectionType.Known.SHT_NOTE.code());
        b.putLong(h + SH_FLAGS, 0);
        b.putLong(h + SH_ADDR, 0);
        b.putLong(h + SH_OFFSET, 0);
        b.putLong(h + SH_SIZE, 0);
        b.putInt(h + SH_LINK, 0);
        b.putInt(h + SH_INFO, 0);
        b.putLong(h + SH_ADDRALIGN, NOTE_ALIGN);
        b.putLong(h + SH_ENTSIZE, 0);
        return c;
    }

    /**
     * {@return the signed file: {@code canonical} followed by the note holding {@code der}, with
     * the signature section's offset and size pointing at the note}
     *
     * @param headerOffset file offset of the signature section's header in {@code canonical}
     */
    public static byte[] seal(final byte[] canonical, final long headerOffset, final byte[] der) {
        final int noteSize = DESC_OFFSET + (int) align4(der.length);
        final byte[] s = Arrays.copyOf(canonical, canonical.length + noteSize);
        final ByteBuffer b = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong((int) headerOffset + SH_OFFSET, canonical.length);
        b.putLong((int) headerOffset + SH_SIZE, noteSize);
        b.putInt(canonical.length, OWNER_FIELD.length);
        b.putInt(canonical.length + 4, der.length);
        b.putInt(canonical.length + 8, NT_XSPLICE_SIGNATURE);
        System.arraycopy(OWNER_FIELD, 0, s, canonical.length + NOTE_HEADER, OWNER_FIELD.length);
        System.arraycopy(der, 0, s, canonical.length + DESC_OFFSET, der.length);
        return s;
    }

    /**
     * {@return {@code model} rewritten by the ELF toolkit's writer with an empty signature
     * section added at the end, ready to sign}
     *
     * @throws ElfFormatException if a part of the model is malformed
     * @throws org.xsplice.elf.ElfWriteException if the writer cannot rewrite it
     */
    public static byte[] withEmptySection(final ElfModel model) {
        return Elf.of().transform(model, ElfTransform.ACCEPT_ALL.andThen(ElfTransform.endHandler(b -> b.withSection(
                ElfSection.of(SECTION, SectionType.Known.SHT_NOTE, 0, NOTE_ALIGN, 0, new byte[0])))));
    }

    static long align4(final long n) {
        return (n + 3) & ~3L;
    }

    private static void expect(final boolean ok, final String what) throws MalformedException {
        if (!ok) {
            throw new MalformedException(what);
        }
    }
}
