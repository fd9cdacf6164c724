package org.xsplice.sign;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The certificates a hypervisor trusts to sign payloads, and what it never trusts.
 * Trust is direct: a payload verifies only if its signing certificate is one of these,
 * byte for byte (no chains, no CA lookups; see {@code docs/security.md}).
 *
 * @param trusted the trusted certificates
 * @param revocations build-ids and certificates refused even when signed
 */
public record Keyring(List<X509Certificate> trusted, RevocationList revocations) {
    /** Largest certificate file read from a keyring directory. */
    public static final int MAX_CERT_FILE_BYTES = 1 << 20;
    /** Most files a keyring directory may hold. */
    public static final int MAX_FILES = 4096;

    public Keyring {
        trusted = List.copyOf(trusted);
        Objects.requireNonNull(revocations, "revocations");
    }

    /** {@return a keyring trusting exactly {@code certs}, with no revocations} */
    public static Keyring of(final X509Certificate... certs) {
        return new Keyring(List.of(certs), RevocationList.EMPTY);
    }

    /** {@return an empty keyring: under {@link Policy#REQUIRE} nothing loads} */
    public static Keyring empty() {
        return new Keyring(List.of(), RevocationList.EMPTY);
    }

    /** {@return this keyring with {@code list} as its revocation list} */
    public Keyring withRevocations(final RevocationList list) {
        return new Keyring(trusted, list);
    }

    /**
     * {@return a keyring of every certificate in the {@code *.pem}, {@code *.crt} and
     * {@code *.cert} files of {@code dir} (each file may hold several)}
     *
     * @throws SigningException if the directory cannot be read or a file is not a PEM
     *         certificate, naming the file
     */
    public static Keyring load(final Path dir) {
        Objects.requireNonNull(dir, "dir");
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{pem,crt,cert}")) {
            for (final Path p : ds) {
                if (files.size() == MAX_FILES) {
                    throw new SigningException(dir + ": keyring has more than " + MAX_FILES + " certificate files");
                }
                files.add(p);
            }
        } catch (final IOException e) {
            throw new SigningException(dir + ": cannot read keyring directory: " + e.getMessage(), e);
        }
        files.sort(null);
        final List<X509Certificate> certs = new ArrayList<>();
        for (final Path p : files) {
            certs.addAll(readCertificates(p));
        }
        return new Keyring(certs, RevocationList.EMPTY);
    }

    /**
     * {@return the certificates in a PEM (or DER) file}
     *
     * @throws SigningException if the file cannot be read or holds no certificate
     */
    public static List<X509Certificate> readCertificates(final Path file) {
        try {
            if (Files.size(file) > MAX_CERT_FILE_BYTES) {
                throw new SigningException(file + ": larger than " + MAX_CERT_FILE_BYTES + " bytes, not a certificate file");
            }
            final byte[] bytes = Files.readAllBytes(file);
            final Collection<? extends java.security.cert.Certificate> got =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
            final List<X509Certificate> out = new ArrayList<>();
            for (final java.security.cert.Certificate c : got) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new SigningException(file + ": no certificate in file");
            }
            return out;
        } catch (final IOException e) {
            throw new SigningException(file + ": cannot read certificate: " + e.getMessage(), e);
        } catch (final CertificateException | RuntimeException e) {
            if (e instanceof SigningException se) {
                throw se;
            }
            throw new SigningException(file + ": not an X.509 certificate: " + e.getMessage(), e);
        }
    }
}
