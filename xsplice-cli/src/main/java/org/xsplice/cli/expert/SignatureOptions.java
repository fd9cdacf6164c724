package org.xsplice.cli.expert;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

import org.xsplice.cli.ExitCodes;
import org.xsplice.hypervisor.trust.SignatureGate;
import org.xsplice.payload.PayloadException;
import org.xsplice.sign.Policy;
import org.xsplice.sign.SigningException;

import picocli.CommandLine.Option;

/**
 * The toolstack's own signature check, run before a payload leaves this machine: it protects
 * a hypervisor that cannot check signatures itself (real Xen) with the same policy the
 * reference hypervisor enforces at upload.
 */
final class SignatureOptions {
    @Option(names = "--require-signature",
            description = "Refuse to upload unless the payload is signed by a certificate in --keyring")
    boolean require;
    @Option(names = "--keyring", paramLabel = "DIR", description = "Directory of trusted PEM certificates")
    Path keyring;
    @Option(names = "--revoked", paramLabel = "FILE", description = "Revocation list (build-ids, certificate SHA-256s)")
    Path revoked;

    /**
     * Checks {@code bytes} when {@code --require-signature} was given.
     *
     * @return an exit code when the payload must not be uploaded (the reason printed as
     *         {@code xen-xsplice: WHAT failed: ERRNO: message}), or empty to go on
     */
    Optional<Integer> refuse(final String what, final String name, final byte[] bytes, final PrintWriter err) {
        if (!require) {
            return Optional.empty();
        }
        if (null == keyring) {
            err.println("xen-xsplice: " + what + " failed: EINVAL: --require-signature needs --keyring DIR");
            return Optional.of(ExitCodes.ERROR);
        }
        try {
            SignatureGate.load(Optional.of(keyring), Optional.ofNullable(revoked), Policy.REQUIRE).admit(name, bytes);
            return Optional.empty();
        } catch (final PayloadException e) {
            err.println("xen-xsplice: " + what + " failed: " + e.errno().name() + ": " + e.getMessage());
            return Optional.of(ExitCodes.ERROR);
        } catch (final SigningException e) {
            err.println("xen-xsplice: " + what + " failed: EINVAL: " + e.getMessage());
            return Optional.of(ExitCodes.ERROR);
        }
    }
}
