package org.xsplice.cli.hv;

import java.nio.file.Path;
import java.util.Optional;

import org.xsplice.hv.control.ControlException;
import org.xsplice.hypervisor.trust.SignatureGate;
import org.xsplice.payload.PayloadException;
import org.xsplice.sign.Policy;
import org.xsplice.sign.SigningException;

import picocli.CommandLine.Option;

/**
 * The toolstack's own signature check, run before a payload leaves this machine: it protects
 * a hypervisor that cannot check signatures itself (real Xen) with the same policy the
 * reference hypervisor enforces at upload. Shared by {@code xen-xsplice upload|load} and
 * {@code xl livepatch load|replace}.
 */
public final class SignatureOptions {
    @Option(names = "--require-signature",
            description = "Refuse to upload unless the payload is signed by a certificate in --keyring")
    boolean require;
    @Option(names = "--keyring", paramLabel = "DIR", description = "Directory of trusted PEM certificates")
    Path keyring;
    @Option(names = "--revoked", paramLabel = "FILE", description = "Revocation list (build-ids, certificate SHA-256s)")
    Path revoked;

    /**
     * Checks {@code bytes} when {@code --require-signature} was given; does nothing otherwise.
     *
     * @throws ControlException why the payload must not be uploaded, with the reference
     *                          hypervisor's errno and message (EKEYREJECTED, ENOKEY, ...)
     */
    public void verify(final String name, final byte[] bytes) throws ControlException {
        if (!require) {
            return;
        }
        if (null == keyring) {
            throw new ControlException("EINVAL", "--require-signature needs --keyring DIR");
        }
        try {
            SignatureGate.load(Optional.of(keyring), Optional.ofNullable(revoked), Policy.REQUIRE).admit(name, bytes);
        } catch (final PayloadException e) {
            throw new ControlException(e.errno().name(), e.getMessage());
        } catch (final SigningException e) {
            throw new ControlException("EINVAL", e.getMessage());
        }
    }
}
