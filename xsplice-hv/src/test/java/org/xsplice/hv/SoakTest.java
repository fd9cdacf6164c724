package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadState;

/**
 * Soak: apply/revert cycles of a three-function payload on 4 pCPUs running the workload while
 * another thread asks the version hypercalls ({@code xl info}'s xen_extra and xen_version) in a
 * loop: every answer is either the original or the patched one, the hypervisor never crashes,
 * and afterwards the payload area and the region table are as they were. CI runs 200 cycles;
 * {@code -Dxsplice.soak.cycles=10000} runs the full soak.
 */
class SoakTest {
    private static final long T = 1_000_000_000L;

    @TempDir
    Path dir;

    private HypervisorProcess hv;
    private LivePayloads payloads;

    @AfterEach
    void stop() throws Exception {
        HvTestSupport.stopAndClose(payloads, hv);
    }

    @Test
    void applyRevertCyclesUnderLoadNeverGiveAWrongAnswerNorLeak() throws Exception {
        final int cycles = Integer.getInteger("xsplice.soak.cycles", 200);
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("soak"), 4, "normal");
        payloads = new LivePayloads(hv);
        final byte[] payload = HvTestSupport.payload(dir, "hv_versions", hv.image().file(), Optional.empty());
        final Hypercalls calls = new Hypercalls(hv, 0);
        final String original = calls.extraVersion();
        final long version = calls.version();
        assertEquals(4L << 16 | 17, version, "the soak payload's major/minor equal the image's");
        final NavigableMap<Long, Long> area = payloads.registry().area().freeRanges();
        final long regions = hv.memory().readLong(hv.image().address("livepatch_regions", 8));

        final AtomicBoolean done = new AtomicBoolean();
        final AtomicLong answers = new AtomicLong();
        final AtomicReference<String> wrong = new AtomicReference<>();
        final Thread poller = Thread.ofPlatform().name("soak-poller").start(() -> {
            while (!done.get() && null == wrong.get()) {
                try {
                    final String extra = calls.extraVersion();
                    if (!extra.equals(original) && !extra.equals("-soaked") || calls.version() != version) {
                        wrong.set("xen_extra '" + extra + "'");
                    }
                    answers.incrementAndGet();
                } catch (final Exception e) {
                    wrong.set(e.toString());
                }
            }
        });
        int busy = 0;
        payloads.registry().upload("soak", payload);
        final long t0 = System.nanoTime();
        for (int i = 0; i < cycles && null == wrong.get(); i++) {
            for (final PayloadState want : List.of(PayloadState.APPLIED, PayloadState.CHECKED)) {
                for (;;) {
                    if (PayloadState.APPLIED == want) {
                        payloads.actions().apply("soak", T, false);
                    } else {
                        payloads.actions().revert("soak", T);
                    }
                    assertTrue(payloads.actions().awaitIdle(Duration.ofSeconds(10)));
                    final LoadedPayload p = payloads.registry().get("soak");
                    if (-16 == p.rc()) {
                        busy++;                   // not all CPUs in time: retry, as the toolstack's exit code 2 says
                        continue;
                    }
                    assertEquals(0, p.rc(), payloads.actions().message("soak").orElse(""));
                    assertEquals(want, p.state());
                    break;
                }
            }
        }
        final long elapsed = System.nanoTime() - t0;
        done.set(true);
        poller.join();
        assertEquals(null, wrong.get(), "a wrong answer or an error during the soak");
        payloads.actions().unload("soak");
        assertTrue(hv.isRunning());
        assertEquals(original, calls.extraVersion());
        assertEquals(area, payloads.registry().area().freeRanges(), "payload area back to its start");
        assertEquals(regions, hv.memory().readLong(hv.image().address("livepatch_regions", 8)), "region table back to its start");
        System.out.printf("soak: %d apply/revert cycles of 3 functions on 4 CPUs in %.1f s, %d version answers checked, %d EBUSY retries%n",
                cycles, elapsed / 1e9, answers.get(), busy);
    }
}
