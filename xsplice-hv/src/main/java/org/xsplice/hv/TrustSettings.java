package org.xsplice.hv;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.xsplice.hypervisor.trust.SignatureGate;
import org.xsplice.sign.Policy;

/**
 * What a reference hypervisor is started with to decide which payloads it trusts: the keyring
 * directory, the revocation list and the policy. The supervisor receives them as options.
 *
 * @param keyring directory of trusted PEM certificates, if any
 * @param revoked revocation list file, if any
 * @param policy  off, warn or require
 */
public record TrustSettings(Optional<Path> keyring, Optional<Path> revoked, Policy policy) {

    public static final TrustSettings OFF = new TrustSettings(Optional.empty(), Optional.empty(), Policy.OFF);

    public TrustSettings {
        Objects.requireNonNull(keyring, "keyring");
        Objects.requireNonNull(revoked, "revoked");
        Objects.requireNonNull(policy, "policy");
        if (policy != Policy.OFF && keyring.isEmpty()) {
            throw new IllegalArgumentException("signature policy " + policy.name().toLowerCase(Locale.ROOT)
                    + " needs a keyring (--keyring DIR)");
        }
    }

    /** {@return the supervisor's command-line options for these settings} */
    public List<String> arguments() {
        final List<String> out = new ArrayList<>(List.of("--signature-policy", policy.name().toLowerCase(Locale.ROOT)));
        keyring.ifPresent(k -> out.addAll(List.of("--keyring", k.toAbsolutePath().toString())));
        revoked.ifPresent(r -> out.addAll(List.of("--revoked", r.toAbsolutePath().toString())));
        return out;
    }

    /** {@return the settings the options in {@code o} (as written by {@link #arguments()}) name} */
    public static TrustSettings parse(final Map<String, String> o) {
        return new TrustSettings(Optional.ofNullable(o.get("--keyring")).map(Path::of),
                Optional.ofNullable(o.get("--revoked")).map(Path::of),
                Policy.valueOf(o.getOrDefault("--signature-policy", "off").toUpperCase(Locale.ROOT)));
    }

    /** {@return the gate these settings make, reading the keyring and revocation list now} */
    public SignatureGate gate() {
        return SignatureGate.load(keyring, revoked, policy);
    }
}
