package org.xsplice.sign;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a payload's signature claims, read without checking trust ({@code xsplice-sign --show}).
 *
 * @param signer the certificate embedded in the signature
 * @param algorithm e.g. {@code "RSA-3072/SHA-256"}; {@code "unsupported"} if no accepted algorithm fits the key
 * @param signingTime the signing-time attribute
 * @param buildId the payload's GNU build-id in lower-case hex, if it has one
 * @param signatureBytes length of the CMS structure in the note
 */
public record SignatureInfo(SignerIdentity signer, String algorithm, Instant signingTime, Optional<String> buildId,
                            int signatureBytes) {
    public SignatureInfo {
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(signingTime, "signingTime");
        Objects.requireNonNull(buildId, "buildId");
    }
}
