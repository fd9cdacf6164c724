package org.xsplice.cli.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.cli.Cli;
import org.xsplice.cli.expert.XenXspliceCommand;
import org.xsplice.cli.xl.XlCommand;
import org.xsplice.hv.control.ControlException;

import picocli.CommandLine;

/**
 * Which hypervisor the commands drive: {@code --backend}, {@code $XSPLICE_BACKEND}, then Xen's
 * control-domain marker; and what the Xen backend says where there is no Xen (this host).
 */
class BackendKindTest {
    @TempDir
    Path root;

    @Test
    void aXenControlDomainIsDetectedFromItsCapabilities() throws Exception {
        assertEquals(BackendKind.REFERENCE, BackendKind.AUTO.resolve(Map.of(), root), "no /proc/xen");
        Files.createDirectories(root.resolve("proc/xen"));
        Files.writeString(root.resolve("proc/xen/capabilities"), "");
        assertEquals(BackendKind.REFERENCE, BackendKind.AUTO.resolve(Map.of(), root), "a domU: no control_d");
        Files.writeString(root.resolve("proc/xen/capabilities"), "control_d\n");
        assertEquals(BackendKind.XEN, BackendKind.AUTO.resolve(Map.of(), root), "dom0");
    }

    @Test
    void anExplicitChoiceWinsOverTheEnvironmentWhichWinsOverDetection() throws Exception {
        Files.createDirectories(root.resolve("proc/xen"));
        Files.writeString(root.resolve("proc/xen/capabilities"), "control_d\n");
        assertEquals(BackendKind.REFERENCE, BackendKind.AUTO.resolve(Map.of(BackendKind.ENV, "reference"), root));
        assertEquals(BackendKind.XEN, BackendKind.AUTO.resolve(Map.of(BackendKind.ENV, "auto"), root));
        assertEquals(BackendKind.REFERENCE, BackendKind.REFERENCE.resolve(Map.of(BackendKind.ENV, "xen"), root));
        assertEquals(BackendKind.XEN, BackendKind.XEN.resolve(Map.of(), Path.of("/nonexistent")));
        final ControlException e = assertThrows(ControlException.class,
                () -> BackendKind.AUTO.resolve(Map.of(BackendKind.ENV, "kvm"), root));
        assertEquals("EINVAL", e.errno());
        assertTrue(e.getMessage().contains("XSPLICE_BACKEND=kvm names no backend"), e.getMessage());
    }

    @Test
    void outsideDom0TheXenBackendFailsWithOneClearError() {
        final Run x = run(new XenXspliceCommand(Map.of()), "--backend", "xen", "list");
        assertEquals(1, x.code(), x.err());
        assertTrue(x.err().startsWith("xen-xsplice: list failed: ENODEV: libxenctrl.so.4.17 cannot be loaded"), x.err());
        final Run xl = run(new XlCommand(Map.of(BackendKind.ENV, "xen")), "livepatch", "list");
        assertEquals(1, xl.code(), xl.err());
        assertTrue(xl.err().startsWith("xl: libxenctrl.so.4.17 cannot be loaded"), xl.err());
        assertTrue(xl.err().endsWith("(ENODEV)\n"), xl.err());
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(final Object command, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cl = Cli.commandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        final int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }
}
