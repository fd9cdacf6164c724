package org.xsplice.elf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

import org.xsplice.elf.internal.ElfBuilderImpl;
import org.xsplice.elf.internal.ElfModelImpl;
import org.xsplice.elf.internal.ElfWriterImpl;

/**
 * The entry point of the toolkit, in the manner of {@code java.lang.classfile.ClassFile}: a
 * small immutable context that carries {@link Option}s and parses, builds and transforms ELF
 * objects.
 *
 * {@snippet :
 * ElfModel m = Elf.of().parse(Path.of("foo.o"));
 * for (ElfSymbol s : m.symbols()) System.out.println(s.name());
 * m.buildId().ifPresent(id -> System.out.println(id.hex()));
 * }
 */
public final class Elf {
    private static final Elf DEFAULT = new Elf(DanglingReferencesOption.FAIL_ON_DANGLING_REFERENCES);

    private final DanglingReferencesOption danglingReferences;

    private Elf(final DanglingReferencesOption danglingReferences) {
        this.danglingReferences = danglingReferences;
    }

    /** An option of the context. */
    public sealed interface Option permits DanglingReferencesOption {
    }

    /**
     * What the writer does with a symbol, relocation or group that still refers to a section
     * (or symbol) that is not written, e.g. after a transform dropped the section. Section
     * symbols ({@code STT_SECTION}) of a dropped section and the relocation section aimed at
     * it always go with it. Default: {@link #FAIL_ON_DANGLING_REFERENCES}.
     */
    public enum DanglingReferencesOption implements Option {
        /** Throw {@link ElfWriteException} naming the first dangling reference. The default. */
        FAIL_ON_DANGLING_REFERENCES,
        /** Drop symbols defined in dropped sections and relocations against dropped symbols. */
        DROP_DANGLING_REFERENCES
    }

    /** {@return a context with the default options, changed by {@code options}} */
    public static Elf of(final Option... options) {
        return DEFAULT.withOptions(options);
    }

    /** {@return a copy of this context with {@code options} applied, later ones winning} */
    public Elf withOptions(final Option... options) {
        DanglingReferencesOption d = danglingReferences;
        for (final Option o : options) {
            switch (Objects.requireNonNull(o, "option")) {
                case DanglingReferencesOption x -> d = x;
            }
        }
        return d == danglingReferences ? this : new Elf(d);
    }

    /** {@return the dangling-reference policy} */
    public DanglingReferencesOption danglingReferences() {
        return danglingReferences;
    }

    /**
     * Parses an ELF64 little-endian x86-64 file. The array is used in place: do not change it
     * while the model is in use.
     *
     * @param bytes the whole file
     * @return the model
     * @throws ElfFormatException if the identification or header is malformed, or the file is
     *                            not ELF64 little-endian x86-64
     */
    public ElfModel parse(final byte[] bytes) {
        return new ElfModelImpl(Objects.requireNonNull(bytes, "bytes"));
    }

    /**
     * Reads and parses a file.
     *
     * @param file the file
     * @return the model
     * @throws IOException        if the file cannot be read
     * @throws ElfFormatException as for {@link #parse(byte[])}
     */
    public ElfModel parse(final Path file) throws IOException {
        if (Files.size(file) > Integer.MAX_VALUE - 16) {
            throw new ElfFormatException("file size", 0, "at most 2 GiB", Long.toString(Files.size(file)));
        }
        return parse(Files.readAllBytes(file));
    }

    /**
     * Builds a relocatable object ({@code ET_REL}) from what {@code handler} gives the builder.
     *
     * @param handler adds the elements
     * @return the object's bytes
     * @throws ElfWriteException if the elements do not form a consistent object
     */
    public byte[] build(final Consumer<? super ElfBuilder> handler) {
        Objects.requireNonNull(handler, "handler");
        final ElfBuilderImpl b = new ElfBuilderImpl();
        handler.accept(b);
        return ElfWriterImpl.write(b, danglingReferences);
    }

    /**
     * Writes a relocatable object made of the {@link ElfModel#elements()} of {@code model} as
     * {@code transform} passes them on. {@code transform(model, ElfTransform.ACCEPT_ALL)}
     * rewrites an object with the same sections, symbols and relocations.
     *
     * @param model     the object to transform, normally an {@code ET_REL}
     * @param transform the transform
     * @return the new object's bytes
     * @throws ElfFormatException if a part of {@code model} is malformed
     * @throws ElfWriteException  if the result is not a consistent object
     */
    public byte[] transform(final ElfModel model, final ElfTransform transform) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(transform, "transform");
        return build(b -> {
            transform.atStart(b);
            for (final ElfElement e : model.elements()) {
                transform.accept(b, e);
            }
            transform.atEnd(b);
        });
    }
}
