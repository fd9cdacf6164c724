package org.xsplice.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xsplice.build.cpayload.CPayloadMaker;
import org.xsplice.build.cpayload.CPayloadOptions;
import org.xsplice.elf.Elf;
import org.xsplice.hypervisor.loader.LoadedPayload;
import org.xsplice.hypervisor.loader.PayloadState;
import org.xsplice.payload.Errno;
import org.xsplice.payload.PayloadException;

/**
 * Restart recovery in one process: a second {@link LivePayloads} on the same running
 * hypervisor (what a restarted supervisor builds) takes over a stack of two payloads from the
 * hypervisor's records, and refuses records or memory that do not add up.
 */
class RecoveryTest {
    private static final long T = 1_000_000_000L;

    @TempDir
    Path dir;

    private HypervisorProcess hv;
    private LivePayloads payloads;

    @AfterEach
    void stop() throws IOException {
        HvTestSupport.stopAndClose(payloads, hv);
    }

    private byte[] make(final String c, final Optional<Path> dependsOn) throws IOException {
        final Path src = Path.of(System.getProperty("xsplice.examples", "../examples/livepatch")).resolve(c + ".c");
        final Path out = dir.resolve(c + ".livepatch");
        CPayloadMaker.make(new CPayloadOptions(src, hv.image().file(), out,
                dependsOn.isPresent() ? Elf.of().parse(dependsOn.get()).buildId() : Optional.empty(), List.of()));
        return Files.readAllBytes(out);
    }

    private LoadedPayload act(final String name, final boolean apply) throws Exception {
        if (apply) {
            payloads.actions().apply(name, T, false);
        } else {
            payloads.actions().revert(name, T);
        }
        assertTrue(payloads.actions().awaitIdle(Duration.ofSeconds(10)));
        final LoadedPayload p = payloads.registry().get(name);
        assertEquals(0, p.rc(), payloads.actions().message(name).orElse(""));
        return p;
    }

    /** What a restarted supervisor does: drop this side's state, build it again from the hypervisor. */
    private void restart() throws IOException {
        payloads.close();
        payloads = null;
        payloads = new LivePayloads(hv);
    }

    @Test
    void aStackOfTwoIsTakenOverWithItsOrderAndSavedBytesAndUnwindsToTheStart() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("recover"), 2, "normal");
        payloads = new LivePayloads(hv);
        final Hypercalls calls = new Hypercalls(hv, 0);
        final String original = calls.extraVersion();
        final long[] space = HvPayloadPort.payloadSpace(hv);
        final byte[] hello = make("hello_world", Optional.empty());
        final byte[] bye = make("bye_world", Optional.of(dir.resolve("hello_world.livepatch")));
        payloads.actions().upload("hello_world", hello);
        payloads.actions().upload("bye_world", bye);
        act("hello_world", true);
        act("bye_world", true);
        assertEquals("Bye World", calls.extraVersion());

        restart();
        assertEquals(List.of("hello_world", "bye_world"), payloads.actions().applied(), "the applied order, from the records");
        assertEquals(List.of(PayloadState.APPLIED, PayloadState.APPLIED),
                payloads.registry().list().stream().map(LoadedPayload::state).toList());
        assertEquals(2, payloads.recovered().size());
        // bye_world saved hello_world's jump, hello_world the original bytes: each revert
        // restores exactly the layer below.
        assertEquals(PayloadState.CHECKED, act("bye_world", false).state());
        assertEquals("Hello World", calls.extraVersion());
        restart();
        assertEquals(PayloadState.CHECKED, act("hello_world", false).state());
        assertEquals(original, calls.extraVersion());
        // hello_world was reverted and has data: the recovered reverted-once flag still refuses a re-apply.
        if (payloads.registry().get("hello_world").rwSize() > 0) {
            restart();
            assertEquals(Errno.EINVAL, assertThrows(PayloadException.class,
                    () -> payloads.actions().apply("hello_world", T, false)).errno());
        }
        payloads.actions().unload("bye_world");
        payloads.actions().unload("hello_world");
        restart();
        assertTrue(payloads.registry().list().isEmpty());
        assertEquals(Map.of(space[0], space[1]), payloads.registry().area().freeRanges(), "payload area back to its start");
    }

    @Test
    void memoryThatIsNotTheRecordedPayloadAndARecordTableThatIsNotOneAreRefusedAndPagesAreProtectedAgain() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("refuse"), 2, "normal");
        payloads = new LivePayloads(hv);
        final LoadedPayload p = payloads.actions().upload("hello_world", make("hello_world", Optional.empty()));
        payloads.close();
        payloads = null;

        final long at = p.textAddr() + 1;
        final byte[] good = hv.memory().read(at, 1);
        hv.memory().write(at, new byte[] {(byte) (good[0] ^ 0x55)});
        final PayloadException differs = assertThrows(PayloadException.class, () -> new LivePayloads(hv));
        assertEquals(Errno.EIO, differs.errno());
        assertTrue(differs.getMessage().contains("recovering payload 'hello_world'")
                && differs.getMessage().contains("differs from the hypervisor's memory at 0x" + Long.toHexString(at)), differs.getMessage());
        hv.memory().write(at, good);

        final long table = new PatchRecords(hv).published();
        final long magic = hv.memory().readLong(table);
        hv.memory().writeLong(table, magic ^ 1);
        final PayloadException bad = assertThrows(PayloadException.class, () -> new LivePayloads(hv));
        assertEquals(Errno.EIO, bad.errno());
        assertTrue(bad.getMessage().contains("patch records at 0x" + Long.toHexString(table) + ": bad magic"), bad.getMessage());
        hv.memory().writeLong(table, magic);

        // A supervisor that died inside an unload may have taken the pages away already: the
        // next one sets them again, so the payload's code runs when applied.
        hv.protect(p.base(), p.size(), 0);
        payloads = new LivePayloads(hv);
        assertEquals(PayloadState.CHECKED, payloads.registry().get("hello_world").state());
        act("hello_world", true);
        assertEquals("Hello World", new Hypercalls(hv, 0).extraVersion());
        act("hello_world", false);
        payloads.actions().unload("hello_world");
    }

    @Test
    void aSupervisorThatDiedAfterALateCommitLeavesNothingForTheNextOneToWaitFor() throws Exception {
        hv = HvTestSupport.start(dir, HvTestSupport.uniqueName("latecommit"), 2, "normal");
        final RendezvousBlock r = hv.rendezvous();
        final long gen = r.generation() + 1;
        r.request(gen, System.nanoTime() + 10_000_000L, HvLayout.Rendezvous.CPU_ACTION_NONE, 0);
        hv.kickAll();
        final long limit = System.nanoTime() + 2_000_000_000L;
        for (int c = 0; c < 2; c++) {
            while (r.cpu(c).left() != gen && System.nanoTime() < limit) {
                Thread.sleep(1);
            }
            assertEquals(gen, r.cpu(c).left(), "CPU" + c + " left at the deadline");
        }
        // The dead driver's last word: a commit nobody was parked to see, the flag still up.
        r.commit(gen);
        final long t0 = System.nanoTime();
        payloads = new LivePayloads(hv);
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "nothing to wait for");
        assertEquals(0, hv.memory().readInt(hv.rendezvousAddress() + HvLayout.Rendezvous.DO_WORK), "the flag is down");
        payloads.actions().upload("hello_world", make("hello_world", Optional.empty()));
        assertEquals(PayloadState.APPLIED, act("hello_world", true).state());
        assertEquals(PayloadState.CHECKED, act("hello_world", false).state());
        payloads.actions().unload("hello_world");
    }
}
