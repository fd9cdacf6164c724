package org.xsplice.sign;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of {@link PayloadVerifier#verify}: the payload may load ({@link Verified},
 * {@link Unsigned}) or must not ({@link Rejected}). The policy has already been applied:
 * a caller only switches over the three cases.
 */
public sealed interface Verification permits Verification.Verified, Verification.Unsigned, Verification.Rejected {

    /** {@return whether the payload may be loaded} */
    default boolean loadable() {
        return !(this instanceof Rejected);
    }

    /** {@return one line for logs and {@code list}} */
    String describe();

    /**
     * A valid signature by a trusted, unrevoked certificate that was valid at signing time
     * and is valid now.
     *
     * @param signer the signing certificate (the keyring's copy)
     * @param algorithm e.g. {@code "RSA-3072/SHA-256"}, {@code "ECDSA-P256/SHA-256"}, {@code "Ed25519"}
     * @param signingTime the CMS signing-time attribute (covered by the signature)
     * @param buildId the payload's GNU build-id in lower-case hex, if it has one
     */
    record Verified(SignerIdentity signer, String algorithm, Instant signingTime, Optional<String> buildId)
            implements Verification {
        public Verified {
            Objects.requireNonNull(signer, "signer");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(signingTime, "signingTime");
            Objects.requireNonNull(buildId, "buildId");
        }

        @Override
        public String describe() {
            return "signed by " + signer.subject() + " (" + algorithm + ", " + signingTime + ")";
        }
    }

    /**
     * The payload may load but is not trusted: the policy is {@link Policy#OFF}
     * ({@code failure} empty), or {@link Policy#WARN} and the signature is missing or not
     * trusted ({@code failure} says why; the caller logs it loudly and marks the payload
     * unsigned).
     *
     * @param failure what would have refused the payload under {@link Policy#REQUIRE}
     * @param message the failure in words, or why nothing was checked
     * @param buildId the payload's GNU build-id in lower-case hex, if it could be read
     */
    record Unsigned(Optional<Reason> failure, String message, Optional<String> buildId) implements Verification {
        public Unsigned {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(buildId, "buildId");
        }

        @Override
        public String describe() {
            return "unsigned: " + message;
        }
    }

    /**
     * The payload must not load.
     *
     * @param reason why, with its errno
     * @param message the reason in words, naming the certificate, time, build-id or offset at fault
     */
    record Rejected(Reason reason, String message) implements Verification {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }

        /** {@return the errno's value on Linux (positive; the hypervisor returns its negation)} */
        public int errno() {
            return reason.errno();
        }

        /** {@return the errno's symbolic name} */
        public String errnoName() {
            return reason.errnoName();
        }

        @Override
        public String describe() {
            return reason.errnoName() + ": " + message;
        }
    }
}
