package org.xsplice.sign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Payload build-ids and certificates that must never load, even with a valid signature.
 *
 * <p>Text form, one entry per line, {@code #} starts a comment:
 * {@snippet :
 * # a payload withdrawn after it crashed a test host
 * build-id 4f1c0a2b9e7d3c5a1b2c3d4e5f60718293a4b5c6
 * # a leaked signing key (colons allowed, as openssl prints fingerprints)
 * cert-sha256 AB:CD:...:EF
 * }
 * A build-id is the hex of the payload's {@code .note.gnu.build-id} descriptor; a
 * certificate is the SHA-256 of its DER encoding ({@code openssl x509 -noout -fingerprint -sha256}).
 *
 * @param buildIds revoked build-ids, lower-case hex
 * @param certificates revoked certificate fingerprints, lower-case hex
 */
public record RevocationList(Set<String> buildIds, Set<String> certificates) {
    /** Longest revocation file read; a list is a handful of lines, not a data set. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /** The empty list. */
    public static final RevocationList EMPTY = new RevocationList(Set.of(), Set.of());

    public RevocationList {
        buildIds = Set.copyOf(buildIds);
        certificates = Set.copyOf(certificates);
    }

    /** {@return whether {@code buildIdHex} (any case) is revoked} */
    public boolean revokesBuildId(final String buildIdHex) {
        return buildIds.contains(buildIdHex.toLowerCase(Locale.ROOT));
    }

    /** {@return whether the certificate with this SHA-256 fingerprint (any case) is revoked} */
    public boolean revokesCertificate(final String sha256Hex) {
        return certificates.contains(sha256Hex.toLowerCase(Locale.ROOT));
    }

    /**
     * {@return the list in {@code file}}
     *
     * @throws SigningException if the file cannot be read or a line is not an entry,
     *         naming the file and line
     */
    public static RevocationList load(final Path file) {
        Objects.requireNonNull(file, "file");
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new SigningException(file + ": revocation list larger than " + MAX_FILE_BYTES + " bytes");
            }
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (final IOException e) {
            throw new SigningException(file + ": cannot read revocation list: " + e.getMessage(), e);
        }
    }

    /**
     * {@return the list written in {@code text}}
     *
     * @param source names the text in error messages (usually the file name)
     * @throws SigningException naming {@code source} and the line at fault
     */
    public static RevocationList parse(final String text, final String source) {
        final Set<String> ids = new HashSet<>();
        final Set<String> certs = new HashSet<>();
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            final int hash = lines[i].indexOf('#');
            final String line = (hash >= 0 ? lines[i].substring(0, hash) : lines[i]).strip();
            if (line.isEmpty()) {
                continue;
            }
            final String[] words = line.split("\\s+");
            final String where = source + ":" + (i + 1) + ": ";
            if (2 != words.length) {
                throw new SigningException(where + "expected 'build-id HEX' or 'cert-sha256 HEX', got '" + line + "'");
            }
            final String hex = words[1].replace(":", "").toLowerCase(Locale.ROOT);
            if (!isHex(hex)) {
                throw new SigningException(where + "'" + words[1] + "' is not hex");
            }
            switch (words[0]) {
                case "build-id" -> ids.add(hex);
                case "cert-sha256" -> {
                    if (64 != hex.length()) {
                        throw new SigningException(where + "a SHA-256 fingerprint has 64 hex digits, got " + hex.length());
                    }
                    certs.add(hex);
                }
                default -> throw new SigningException(where + "unknown entry kind '" + words[0]
                        + "' (expected build-id or cert-sha256)");
            }
        }
        return new RevocationList(ids, certs);
    }

    private static boolean isHex(final String s) {
        if (s.isEmpty() || 0 != s.length() % 2) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!HexFormat.isHexDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
