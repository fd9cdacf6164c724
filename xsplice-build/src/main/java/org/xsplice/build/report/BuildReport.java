package org.xsplice.build.report;

import java.util.List;

import org.xsplice.build.diff.Inclusion;
import org.xsplice.build.diff.ObjectDiff;
import org.xsplice.build.diff.Refusal;

/**
 * The patch author's report: per object, the changed and new functions, what was pulled in and
 * why, what was ignored as churn, and every refusal with its advice.
 */
public final class BuildReport {
    private BuildReport() {
    }

    /** {@return the report for the object verdicts {@code diffs}} */
    public static String render(final String name, final List<ObjectDiff> diffs) {
        final StringBuilder b = new StringBuilder();
        b.append("xsplice-build report for ").append(name).append('\n');
        if (diffs.isEmpty()) {
            b.append("  no object changed: the patch does not change compiled code\n");
        }
        for (final ObjectDiff d : diffs) {
            b.append('\n').append(d.file()).append(": ").append(d.outcome()).append('\n');
            for (final ObjectDiff.FunctionChange f : d.changed()) {
                b.append("  changed  ").append(f.name()).append(" (").append(f.oldSize()).append(" -> ")
                        .append(f.newSize()).append(" bytes): ").append(f.why()).append('\n');
            }
            for (final String a : d.added()) {
                b.append("  new      ").append(a).append('\n');
            }
            for (final Inclusion i : d.included()) {
                b.append("  include  ").append(i.element()).append(" [").append(i.what()).append("]: ")
                        .append(i.reason()).append('\n');
            }
            for (final String i : d.ignored()) {
                b.append("  ignored  ").append(i).append('\n');
            }
            for (final Refusal r : d.refusals()) {
                b.append("  REFUSED  ").append(r.kind()).append(": ").append(r.element()).append(": ")
                        .append(r.explanation()).append('\n');
                b.append("           advice: ").append(r.kind().advice()).append('\n');
            }
        }
        return b.toString();
    }
}
