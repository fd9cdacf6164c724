package org.xsplice.hv.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

class WireCodecTest {
    private static Response roundTrip(final Response r) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireCodec.writeResponse(out, r);
        return WireCodec.readResponse(new ByteArrayInputStream(out.toByteArray()));
    }

    private static Request roundTrip(final Request r) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        WireCodec.writeRequest(out, r);
        return WireCodec.readRequest(new ByteArrayInputStream(out.toByteArray()));
    }

    @Test
    void everyMessageSurvivesTheWire() throws IOException {
        for (final Request r : List.of(new Request.Ping(), new Request.Info(), new Request.Dmesg(true), new Request.DebugKeys("hx"),
                new Request.SymbolQuery("do_domctl+0xf"), new Request.Stats(), new Request.Stop())) {
            assertEquals(r, roundTrip(r));
        }
        final String big = "x".repeat(70_000);  // larger than the console ring
        for (final Response r : List.of(new Response.Pong("a", 1, 4, 2),
                new Response.InfoReply(List.of(new Response.Field("xen_extra", "-xsplice"), new Response.Field("é", ""))),
                new Response.Text(big), new Response.SymbolReply(0x401000, "<do_domctl>+0x0/0x10"),
                new Response.StatsReply(List.of(new Response.CpuCounters(0, 1, 2, 3, 4, 5, true))), new Response.Done(),
                new Response.Failure("EINVAL", "bad"))) {
            assertEquals(r, roundTrip(r));
        }
    }

    @Test
    void refusesWhatItDoesNotKnowOrCannotHold() throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final DataOutputStream d = new DataOutputStream(out);
        final byte[] tag = "Runtime".getBytes();
        d.writeInt(4 + tag.length);
        d.writeInt(tag.length);
        d.write(tag);
        IOException e = assertThrows(IOException.class, () -> WireCodec.readRequest(new ByteArrayInputStream(out.toByteArray())));
        assertTrue(e.getMessage().contains("unknown control message 'Runtime'"), e.getMessage());

        final ByteArrayOutputStream huge = new ByteArrayOutputStream();
        new DataOutputStream(huge).writeInt(WireCodec.MAX_FRAME + 1);
        e = assertThrows(IOException.class, () -> WireCodec.readRequest(new ByteArrayInputStream(huge.toByteArray())));
        assertTrue(e.getMessage().contains("at most"), e.getMessage());

        final ByteArrayOutputStream lying = new ByteArrayOutputStream();
        final DataOutputStream l = new DataOutputStream(lying);
        final byte[] t2 = "DebugKeys".getBytes();
        l.writeInt(4 + t2.length + 4);
        l.writeInt(t2.length);
        l.write(t2);
        l.writeInt(1_000_000);                 // a string longer than the message
        e = assertThrows(IOException.class, () -> WireCodec.readRequest(new ByteArrayInputStream(lying.toByteArray())));
        assertTrue(e.getMessage().contains("string of 1000000 bytes"), e.getMessage());
    }
}
