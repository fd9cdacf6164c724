package org.xsplice.elf;

import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Turns the elements of a model into those of a new relocatable object, in the manner of
 * {@code java.lang.classfile.ClassTransform}: {@link #accept} sees each element of
 * {@link ElfModel#elements()} and passes it on ({@code builder.with(element)}), changes it,
 * drops it (does nothing) or adds others; {@link #atEnd} runs after the last element.
 *
 * <p>Dropping a section drops its relocations and its {@code STT_SECTION} symbol with it;
 * what happens to other symbols and relocations that still refer to it is chosen by
 * {@link Elf.DanglingReferencesOption}.
 *
 * {@snippet :
 * byte[] out = Elf.of(DanglingReferencesOption.DROP_DANGLING_REFERENCES).transform(model,
 *         ElfTransform.droppingSections(s -> s.name().equals(".text.old"))
 *                 .andThen(ElfTransform.endHandler(b -> b.withNotes(".note.xsplice", note))));
 * }
 */
@FunctionalInterface
public interface ElfTransform {
    /** Passes every element on unchanged. */
    ElfTransform ACCEPT_ALL = ElfBuilder::with;

    /**
     * Handles one element.
     *
     * @param builder where the output goes
     * @param element the element
     */
    void accept(ElfBuilder builder, ElfElement element);

    /** Runs after the last element; does nothing by default. */
    default void atEnd(final ElfBuilder builder) {
    }

    /** Runs before the first element; does nothing by default. */
    default void atStart(final ElfBuilder builder) {
    }

    /**
     * {@return a transform that runs this one, then gives what it outputs to {@code next}}
     *
     * @param next the transform to run on this one's output
     */
    default ElfTransform andThen(final ElfTransform next) {
        Objects.requireNonNull(next, "next");
        final ElfTransform first = this;
        return new ElfTransform() {
            @Override
            public void accept(final ElfBuilder builder, final ElfElement element) {
                first.accept(chain(builder), element);
            }

            @Override
            public void atStart(final ElfBuilder builder) {
                first.atStart(chain(builder));
                next.atStart(builder);
            }

            @Override
            public void atEnd(final ElfBuilder builder) {
                first.atEnd(chain(builder));
                next.atEnd(builder);
            }

            private ElfBuilder chain(final ElfBuilder builder) {
                return new ElfBuilder() {
                    @Override
                    public ElfBuilder with(final ElfElement e) {
                        next.accept(builder, e);
                        return this;
                    }
                };
            }
        };
    }

    /** {@return a transform that drops the elements {@code filter} accepts and passes the rest on} */
    static ElfTransform dropping(final Predicate<? super ElfElement> filter) {
        Objects.requireNonNull(filter, "filter");
        return (b, e) -> {
            if (!filter.test(e)) {
                b.with(e);
            }
        };
    }

    /**
     * {@return a transform that drops the sections {@code filter} accepts (and so their
     * relocations, section symbols and group membership), passing everything else on}
     */
    static ElfTransform droppingSections(final Predicate<? super ElfSection> filter) {
        Objects.requireNonNull(filter, "filter");
        return dropping(e -> e instanceof ElfSection s && filter.test(s));
    }

    /** {@return a transform that drops the relocations {@code filter} accepts} */
    static ElfTransform droppingRelocations(final Predicate<? super Relocation> filter) {
        Objects.requireNonNull(filter, "filter");
        return (b, e) -> {
            if (e instanceof RelocationSection r) {
                b.withRelocations(r.target().orElseThrow(),
                        r.relocations().stream().filter(x -> !filter.test(x)).toList());
            } else {
                b.with(e);
            }
        };
    }

    /**
     * {@return a transform that replaces each section with what {@code mapper} returns, e.g.
     * {@code s -> s.name().equals(".text.a") ? s.withName(".text.b") : s}; references to the
     * original follow a derived section}
     */
    static ElfTransform mappingSections(final UnaryOperator<ElfSection> mapper) {
        Objects.requireNonNull(mapper, "mapper");
        return (b, e) -> b.with(e instanceof ElfSection s ? Objects.requireNonNull(mapper.apply(s), "mapped section") : e);
    }

    /** {@return a transform that passes every element on and runs {@code handler} at the end} */
    static ElfTransform endHandler(final Consumer<? super ElfBuilder> handler) {
        Objects.requireNonNull(handler, "handler");
        return new ElfTransform() {
            @Override
            public void accept(final ElfBuilder builder, final ElfElement element) {
                builder.with(element);
            }

            @Override
            public void atEnd(final ElfBuilder builder) {
                handler.accept(builder);
            }
        };
    }

    /** {@return a transform whose state is made fresh by {@code supplier} for each use} */
    static ElfTransform ofStateful(final Supplier<ElfTransform> supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return new ElfTransform() {
            private ElfTransform current;

            @Override
            public void atStart(final ElfBuilder builder) {
                current = Objects.requireNonNull(supplier.get(), "supplied transform");
                current.atStart(builder);
            }

            @Override
            public void accept(final ElfBuilder builder, final ElfElement element) {
                current.accept(builder, element);
            }

            @Override
            public void atEnd(final ElfBuilder builder) {
                current.atEnd(builder);
            }
        };
    }
}
