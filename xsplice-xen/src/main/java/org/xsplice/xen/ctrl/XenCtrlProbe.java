package org.xsplice.xen.ctrl;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import org.xsplice.payload.Errno;

/**
 * A minimal dom0 tool over {@link XenCtrl}, used to check the binding on real Xen against
 * Debian's {@code xl} and {@code xen-livepatch} until the project's CLI drives it. Operations,
 * several per run separated by {@code +}, optionally preceded by {@code --timeout MS} (the
 * rendezvous deadline of actions; default Xen's own, 30 ms):
 * <pre>
 * info                 xen_version, xen_extra, build_id (as xl info prints them), then list
 * list                 one line per payload: name, state, rc, metadata
 * get NAME             one payload's state
 * upload NAME FILE     upload a payload
 * apply NAME [--nodeps]
 * revert|replace|unload NAME
 * </pre>
 * Exit code of the last operation, as {@code xen-livepatch}'s: 0 ok, 1 error (printed as
 * {@code error: <function>(<name>) failed: <ERRNO> (<text>)}), 2 retry (EAGAIN, EBUSY).
 */
public final class XenCtrlProbe
{
    private XenCtrlProbe()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 0)
        {
            err.println("usage: XenCtrlProbe [--timeout MS] OP [ARGS] [+ OP [ARGS]]...  (OP: info, list, get NAME, "
                        + "upload NAME FILE, apply|revert|replace|unload NAME)");
            return 1;
        }
        // Xen's default rendezvous deadline is 30 ms; an emulated, busy machine can miss it (EBUSY).
        Duration timeout = Duration.ZERO;
        int from = 0;
        if (args.length >= 2 && "--timeout".equals(args[0]))
        {
            timeout = Duration.ofMillis(Long.parseLong(args[1]));
            from = 2;
        }
        try (XenCtrl xc = XenCtrl.open())
        {
            // Several operations per JVM: starting one is the slow part in an emulated dom0.
            int rc = 0;
            for (int i = from; i <= args.length; i++)
            {
                if (i == args.length || "+".equals(args[i]))
                {
                    rc = operation(xc, Arrays.copyOfRange(args, from, i), timeout, out);
                    from = i + 1;
                }
            }
            return rc;
        }
        catch (final XenCtrlException e)
        {
            err.println(e.getMessage());
            return 1;
        }
    }

    /** Runs one operation; a failure is printed on {@code out} in order with the rest. */
    private static int operation(final XenCtrl xc, final String[] op, final Duration timeout, final PrintStream out)
    {
        try
        {
            switch (op.length == 0 ? "" : op[0])
            {
                case "info" ->
                {
                    final int v = xc.version();
                    out.println("xen_version            : " + (v >>> 16) + "." + (v & 0xffff) + xc.extraVersion());
                    out.println("xen_extra              : " + xc.extraVersion());
                    out.println("build_id               : " + xc.buildId().hex());
                    list(xc, out);
                }
                case "list" -> list(xc, out);
                case "get" -> out.println(op[1] + " " + describe(xc.get(op[1])));
                case "upload" -> xc.upload(op[1], Files.readAllBytes(Path.of(op[2])));
                case "apply" -> result(out, op[1], xc.apply(op[1], timeout,
                    op.length > 2 && "--nodeps".equals(op[2]) ? XenCtrl.APPLY_NODEPS : 0));
                case "revert" -> result(out, op[1], xc.revert(op[1], timeout));
                case "replace" -> result(out, op[1], xc.replace(op[1], timeout));
                case "unload" -> xc.unload(op[1]);
                default ->
                {
                    out.println("error: unknown operation " + String.join(" ", op));
                    return 1;
                }
            }
            return 0;
        }
        catch (final XenCtrlException e)
        {
            out.println("error: " + e.getMessage());
            return e.errno() == Errno.EAGAIN.number() || e.errno() == Errno.EBUSY.number() ? 2 : 1;
        }
        catch (final IOException | ArrayIndexOutOfBoundsException e)
        {
            out.println("error: " + String.join(" ", op) + ": " + e);
            return 1;
        }
    }

    private static void list(final XenCtrl xc, final PrintStream out)
    {
        final var payloads = xc.list();
        out.println("livepatch_payloads     : " + payloads.size());
        for (final LivepatchPayload p : payloads)
        {
            out.println(p.name() + " " + describe(p.status())
                        + (p.metadata().isEmpty() ? "" : " " + p.metadata().replace('\0', ' ')));
        }
    }

    private static void result(final PrintStream out, final String name, final LivepatchStatus s)
    {
        out.println(name + " " + describe(s));
    }

    private static String describe(final LivepatchStatus s)
    {
        return s.stateName() + (0 == s.rc() ? "" : " rc=" + Errno.nameOf(s.rc()));
    }
}
