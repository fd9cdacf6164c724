package org.xsplice.cli.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.xsplice.sign.PayloadSigner;

import picocli.CommandLine.Option;

/** {@code --sign-key KEY.pem --sign-cert CERT.pem}: sign what was built, in place. */
final class SigningOptions {
    @Option(names = "--sign-key", paramLabel = "KEY.pem", description = "sign the payload with this private key (PEM)")
    Path key;

    @Option(names = "--sign-cert", paramLabel = "CERT.pem", description = "the X.509 certificate of --sign-key (PEM)")
    Path cert;

    /**
     * Signs {@code payload} in place when both options were given.
     *
     * @return "signed by ..." when it signed
     * @throws IllegalArgumentException when only one of the two options was given
     */
    Optional<String> signInPlace(final Path payload) throws IOException {
        if (null == key && null == cert) {
            return Optional.empty();
        }
        if (null == key || null == cert) {
            throw new IllegalArgumentException("--sign-key and --sign-cert go together");
        }
        final PayloadSigner signer = PayloadSigner.fromPem(key, cert);
        Files.write(payload, signer.sign(Files.readAllBytes(payload)));
        return Optional.of("signed by " + signer.identity().subject() + " (" + signer.algorithm() + ")");
    }
}
