package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadState;

/**
 * The stack check, on purpose: CPU1 sleeps inside {@code xsplice_test_sleeper()} (a dom0
 * sysctl that naps in 1 ms slices, passing the rendezvous check each time, so the CPU parks
 * with the sleeper one frame up its stack). Patching the sleeper is refused (EBUSY naming the
 * function and the CPU) while it sleeps, retried within the timeout, and succeeds once it
 * returned; the patched sleeper then answers at once.
 */
class StackCheckTest {
    @TempDir
    Path dir;

    private HypervisorProcess hv;
    private LivePayloads payloads;

    @AfterEach
    void stop() throws Exception {
        HvTestSupport.stopAndClose(payloads, hv);
    }

    private LoadedPayload await(final String name) throws Exception {
        assertTrue(payloads.actions().awaitIdle(Duration.ofSeconds(20)));
        return payloads.registry().get(name);
    }

    /** Starts the sleeper on CPU1 and returns once that CPU is inside it. */
    private CompletableFuture<Long> sleepOnCpu1(final long ms) throws Exception {
        final long sleeping = hv.image().symbols().lookup("xsplice_test_sleeping").orElseThrow().address();
        final CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
            try {
                return new Hypercalls(hv, 1).testSleep(ms);
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        final long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (0 == hv.memory().readLong(sleeping) && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertEquals(1, hv.memory().readLong(sleeping), "CPU1 is inside the sleeper");
        return f;
    }

    @Test
    void aFunctionOnAParkedCpusStackIsNotPatchedUntilItReturns() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("stack"), 2, "normal");
        payloads = new LivePayloads(hv);
        final Path src = dir.resolve("quick_sleeper.c");
        Files.writeString(src, """
                #include <xsplice/livepatch.h>
                /* Replaces the test sleeper: returns at once, its "naps" = the milliseconds asked. */
                unsigned long quick_sleeper(unsigned long ms)
                {
                    return ms;
                }
                XSPLICE_PATCH(xsplice_test_sleeper, quick_sleeper);
                """);
        final Path out = dir.resolve("quick_sleeper.livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, hv.image().file(), out, Optional.empty(), List.of()));
        payloads.registry().upload("quick_sleeper", Files.readAllBytes(out));
        final long sleeper = hv.image().symbols().lookup("xsplice_test_sleeper").orElseThrow().address();
        final byte[] text = hv.memory().read(sleeper, 8);

        // Refused while CPU1 sleeps inside: retried for 200 ms, then EBUSY.
        CompletableFuture<Long> sleeping = sleepOnCpu1(1500);
        payloads.actions().apply("quick_sleeper", 200_000_000L, false);
        LoadedPayload p = await("quick_sleeper");
        assertEquals(PayloadState.CHECKED, p.state());
        assertEquals(-16, p.rc());
        final String why = payloads.actions().message("quick_sleeper").orElseThrow();
        assertTrue(why.contains("xsplice_test_sleeper is in use on CPU1"), why);
        assertArrayEquals(text, hv.memory().read(sleeper, 8), "nothing written");
        // The replacement would answer exactly the 1500 ms asked; the old sleeper counts its 1 ms
        // naps, fewer than that since each one overshoots (by how much is the host's load, so
        // only the bound is asserted).
        final long naps = sleeping.get();
        assertTrue(naps > 0 && naps < 1500, "the old sleeper ran to its end: " + naps + " naps");

        // Started while it still sleeps, with time to spare: retried until it returned, then applied.
        sleeping = sleepOnCpu1(300);
        payloads.actions().apply("quick_sleeper", 5_000_000_000L, false);
        p = await("quick_sleeper");
        assertTrue(sleeping.isDone(), "applied only after the sleeper returned");
        assertEquals(PayloadState.APPLIED, p.state());
        assertEquals(0, p.rc());
        assertEquals(4321, new Hypercalls(hv, 1).testSleep(4321), "the replacement runs");

        payloads.actions().revert("quick_sleeper", 1_000_000_000L);
        assertEquals(PayloadState.CHECKED, await("quick_sleeper").state());
        assertArrayEquals(text, hv.memory().read(sleeper, 8));
    }
}
