package org.xsplice.hv.control;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The control socket's one framing and encoding. A frame is a 4-byte big-endian length and
 * that many bytes; a message is the record's simple name, then its components in declaration
 * order: String (length + UTF-8), int, long, boolean, byte[] (length + bytes), List of
 * Strings or records (count + elements), nested records. Only the records permitted by
 * {@link Request} and {@link Response} (and the records they contain) are accepted, so a peer
 * can never make this side instantiate anything else.
 */
public final class WireCodec {
    /** Large enough for a 2 MiB payload upload plus its envelope. */
    public static final int MAX_FRAME = 16 << 20;

    private static final Map<String, Class<?>> REQUESTS = permitted(Request.class);
    private static final Map<String, Class<?>> RESPONSES = permitted(Response.class);

    private WireCodec() {
    }

    private static Map<String, Class<?>> permitted(final Class<?> sealed) {
        final Map<String, Class<?>> m = new HashMap<>();
        for (final Class<?> c : sealed.getPermittedSubclasses()) {
            m.put(c.getSimpleName(), c);
        }
        return Map.copyOf(m);
    }

    public static void writeRequest(final OutputStream out, final Request r) throws IOException {
        writeFrame(out, encode((Record) r));
    }

    public static void writeResponse(final OutputStream out, final Response r) throws IOException {
        writeFrame(out, encode((Record) r));
    }

    public static Request readRequest(final InputStream in) throws IOException {
        return (Request) decode(readFrame(in), REQUESTS);
    }

    public static Response readResponse(final InputStream in) throws IOException {
        return (Response) decode(readFrame(in), RESPONSES);
    }

    private static void writeFrame(final OutputStream out, final byte[] body) throws IOException {
        final DataOutputStream d = new DataOutputStream(out);
        d.writeInt(body.length);
        d.write(body);
        d.flush();
    }

    private static byte[] readFrame(final InputStream in) throws IOException {
        final DataInputStream d = new DataInputStream(in);
        final int len;
        try {
            len = d.readInt();
        } catch (final EOFException e) {
            throw new EOFException("control connection closed by the peer");
        }
        if (len < 0 || len > MAX_FRAME) {
            throw new IOException("control frame of " + len + " bytes (at most " + MAX_FRAME + ")");
        }
        final byte[] b = new byte[len];
        d.readFully(b);
        return b;
    }

    static byte[] encode(final Record r) throws IOException {
        final ByteArrayOutputStream bos = new ByteArrayOutputStream();
        final DataOutputStream d = new DataOutputStream(bos);
        writeString(d, r.getClass().getSimpleName());
        writeFields(d, r);
        return bos.toByteArray();
    }

    private static void writeFields(final DataOutputStream d, final Record r) throws IOException {
        for (final RecordComponent c : r.getClass().getRecordComponents()) {
            final Object v;
            try {
                v = c.getAccessor().invoke(r);
            } catch (final ReflectiveOperationException e) {
                throw new IOException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
            }
            writeValue(d, c.getGenericType(), v);
        }
    }

    private static void writeValue(final DataOutputStream d, final Type t, final Object v) throws IOException {
        if (null == v) {
            throw new IOException("null value of type " + t.getTypeName() + " cannot be encoded");
        }
        switch (v) {
            case String s -> writeString(d, s);
            case Integer i -> d.writeInt(i);
            case Long l -> d.writeLong(l);
            case Boolean b -> d.writeBoolean(b);
            case byte[] b -> {
                d.writeInt(b.length);
                d.write(b);
            }
            case List<?> list -> {
                final Type elem = ((ParameterizedType) t).getActualTypeArguments()[0];
                d.writeInt(list.size());
                for (final Object o : list) {
                    writeValue(d, elem, o);
                }
            }
            case Record r -> writeFields(d, r);
            default -> throw new IOException("type " + v.getClass().getName() + " cannot be encoded");
        }
    }

    private static void writeString(final DataOutputStream d, final String s) throws IOException {
        final byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        d.writeInt(b.length);
        d.write(b);
    }

    private static String readString(final DataInputStream d) throws IOException {
        final int n = d.readInt();
        if (n < 0 || n > d.available()) {
            throw new IOException("string of " + n + " bytes in a message of " + d.available() + " bytes");
        }
        final byte[] b = new byte[n];
        d.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    static Object decode(final byte[] body, final Map<String, Class<?>> allowed) throws IOException {
        final DataInputStream d = new DataInputStream(new ByteArrayInputStream(body));
        final String tag = readString(d);
        final Class<?> c = allowed.get(tag);
        if (null == c) {
            throw new IOException("unknown control message '" + tag + "' (peer from another version?)");
        }
        final Object o = readRecord(d, c);
        if (d.available() > 0) {
            throw new IOException("control message '" + tag + "' has " + d.available() + " trailing bytes");
        }
        return o;
    }

    private static Object readRecord(final DataInputStream d, final Class<?> c) throws IOException {
        final RecordComponent[] comps = c.getRecordComponents();
        final Object[] args = new Object[comps.length];
        final Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            types[i] = comps[i].getType();
            args[i] = readValue(d, comps[i].getGenericType());
        }
        try {
            final Constructor<?> k = c.getDeclaredConstructor(types);
            return k.newInstance(args);
        } catch (final ReflectiveOperationException e) {
            throw new IOException("cannot build " + c.getSimpleName() + ": " + e.getCause(), e);
        }
    }

    private static Object readValue(final DataInputStream d, final Type t) throws IOException {
        if (t instanceof ParameterizedType p && List.class == p.getRawType()) {
            final int n = d.readInt();
            if (n < 0 || n > d.available()) {
                throw new IOException("list of " + n + " elements in a message of " + d.available() + " bytes");
            }
            final List<Object> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(readValue(d, p.getActualTypeArguments()[0]));
            }
            return List.copyOf(out);
        }
        final Class<?> c = (Class<?>) t;
        if (String.class == c) {
            return readString(d);
        } else if (int.class == c) {
            return d.readInt();
        } else if (long.class == c) {
            return d.readLong();
        } else if (boolean.class == c) {
            return d.readBoolean();
        } else if (byte[].class == c) {
            final int n = d.readInt();
            if (n < 0 || n > d.available()) {
                throw new IOException("byte array of " + n + " bytes in a message of " + d.available() + " bytes");
            }
            final byte[] b = new byte[n];
            d.readFully(b);
            return b;
        } else if (c.isRecord() && (c.getEnclosingClass() == Request.class || c.getEnclosingClass() == Response.class)) {
            return readRecord(d, c);
        }
        throw new IOException("type " + c.getName() + " cannot be decoded");
    }
}
