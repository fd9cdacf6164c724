package org.xsplice.xen.ctrl;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.xsplice.payload.Errno;

/**
 * A minimal dom0 tool over {@link XenCtrl}, used to check the binding on real Xen against
 * Debian's {@code xl} and {@code xen-livepatch} until the project's CLI drives it:
 * <pre>
 * info                 xen_version, xen_extra, build_id (as xl info prints them), then list
 * list                 one line per payload: name, state, rc, metadata
 * get NAME             one payload's state
 * upload NAME FILE     upload a payload
 * apply|revert|replace|unload NAME
 * </pre>
 * Exit codes as {@code xen-livepatch}: 0 ok, 1 error (errno name on stderr), 2 retry (EAGAIN, EBUSY).
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
            err.println("usage: XenCtrlProbe info|list|get NAME|upload NAME FILE|apply|revert|replace|unload NAME");
            return 1;
        }
        try (XenCtrl xc = XenCtrl.open())
        {
            switch (args[0])
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
                case "get" -> out.println(args[1] + " " + describe(xc.get(args[1])));
                case "upload" -> xc.upload(args[1], Files.readAllBytes(Path.of(args[2])));
                case "apply" -> result(out, args[1], xc.apply(args[1], Duration.ZERO, 0));
                case "revert" -> result(out, args[1], xc.revert(args[1], Duration.ZERO));
                case "replace" -> result(out, args[1], xc.replace(args[1], Duration.ZERO));
                case "unload" -> xc.unload(args[1]);
                default ->
                {
                    err.println("unknown command " + args[0]);
                    return 1;
                }
            }
            return 0;
        }
        catch (final XenCtrlException e)
        {
            err.println(e.getMessage());
            return e.errno() == Errno.EAGAIN.number() || e.errno() == Errno.EBUSY.number() ? 2 : 1;
        }
        catch (final IOException e)
        {
            err.println(e);
            return 1;
        }
    }

    private static void list(final XenCtrl xc, final PrintStream out)
    {
        final var payloads = xc.list();
        out.println("livepatch_payloads     : " + payloads.size());
        for (final LivepatchPayload p : payloads)
        {
            out.println(p.name() + " " + describe(p.status()) + " " + p.metadata().replace('\0', ' '));
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
