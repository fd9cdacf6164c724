package org.xsplice.cli.sign;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.xsplice.cli.Cli;
import org.xsplice.cli.ExitCodes;
import org.xsplice.cli.VersionProvider;
import org.xsplice.sign.Keyring;
import org.xsplice.sign.PayloadSigner;
import org.xsplice.sign.PayloadVerifier;
import org.xsplice.sign.Policy;
import org.xsplice.sign.RevocationList;
import org.xsplice.sign.SignatureInfo;
import org.xsplice.sign.SigningException;
import org.xsplice.sign.Verification;

import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code xsplice-sign}: signs a payload, verifies it against a keyring, or shows its signature.
 * Exit codes: 0 success, 1 error or verification failure, 2 wrong usage.
 */
@Command(name = "xsplice-sign",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        subcommands = CommandLine.HelpCommand.class,
        description = {
            "Signs a livepatch payload (a CMS signature in its .note.xsplice.sig section), verifies it, or shows it.",
            "",
            "  xsplice-sign --key KEY.pem --cert CERT.pem PAYLOAD [-o OUT]",
            "  xsplice-sign --verify --keyring DIR [--revoked FILE] PAYLOAD",
            "  xsplice-sign --show PAYLOAD",
            ""},
        footer = {"", "Exit status: 0 ok, 1 error or verification failure, 2 usage. See docs/security.md."})
public final class XspliceSignCommand implements Callable<Integer> {

    /** The three things the tool does; exactly one per run. */
    static final class Mode {
        @ArgGroup(exclusive = false, multiplicity = "1")
        SignOptions sign;

        @ArgGroup(exclusive = false, multiplicity = "1")
        VerifyOptions verify;

        @Option(names = "--show", required = true, description = "Print the signer, algorithm, signing time and build-id (no trust check).")
        boolean show;
    }

    static final class SignOptions {
        @Option(names = "--key", required = true, paramLabel = "KEY.pem", description = "Private key (unencrypted PEM).")
        Path key;

        @Option(names = "--cert", required = true, paramLabel = "CERT.pem", description = "The key's X.509 certificate (PEM).")
        Path cert;

        @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Write the signed payload here (default: in place).")
        Path output;
    }

    static final class VerifyOptions {
        @Option(names = "--verify", required = true, description = "Verify under policy 'require'.")
        boolean verify;

        @Option(names = "--keyring", required = true, paramLabel = "DIR", description = "Directory of trusted certificates (*.pem, *.crt).")
        Path keyring;

        @Option(names = "--revoked", paramLabel = "FILE", description = "Revocation list: 'build-id HEX' and 'cert-sha256 HEX' lines.")
        Path revoked;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = "--detach", paramLabel = "PREFIX",
            description = "Also write the signed bytes to PREFIX.bin and the CMS signature to PREFIX.p7s, for "
                    + "'openssl cms -verify -binary -inform DER -in PREFIX.p7s -content PREFIX.bin'.")
    Path detach;

    @Parameters(index = "0", paramLabel = "PAYLOAD", description = "The payload (ELF relocatable object).")
    Path payload;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        final PrintWriter out = spec.commandLine().getOut();
        final byte[] bytes = readBounded(payload);
        if (null != mode.sign) {
            final PayloadSigner signer = PayloadSigner.fromPem(mode.sign.key, mode.sign.cert);
            final byte[] signed = signer.sign(bytes);
            final Path target = null == mode.sign.output ? payload : mode.sign.output;
            writeAtomically(target, signed);
            out.println(target + ": signed by " + signer.identity().subject() + " (" + signer.algorithm() + ")");
            detachIfAsked(signed);
            return ExitCodes.OK;
        }
        if (null != mode.verify) {
            Keyring ring = Keyring.load(mode.verify.keyring);
            if (null != mode.verify.revoked) {
                ring = ring.withRevocations(RevocationList.load(mode.verify.revoked));
            }
            final Verification v = PayloadVerifier.verify(bytes, ring, Policy.REQUIRE);
            return switch (v) {
                case Verification.Verified ok -> {
                    out.println(payload + ": OK: " + ok.describe() + ok.buildId().map(id -> ", build-id " + id).orElse(""));
                    yield ExitCodes.OK;
                }
                case Verification.Rejected r -> {
                    spec.commandLine().getErr().println(payload + ": " + r.errnoName() + " (" + r.errno() + "): " + r.message());
                    yield ExitCodes.ERROR;
                }
                case Verification.Unsigned u -> throw new IllegalStateException("policy require never loads unsigned: " + u);
            };
        }
        final Optional<SignatureInfo> info = PayloadVerifier.inspect(bytes);
        if (info.isEmpty()) {
            spec.commandLine().getErr().println(payload + ": unsigned");
            return ExitCodes.ERROR;
        }
        final SignatureInfo s = info.get();
        out.println("payload:       " + payload);
        out.println("build-id:      " + s.buildId().orElse("(none)"));
        out.println("signer:        " + s.signer().subject());
        out.println("issuer:        " + s.signer().issuer());
        out.println("serial:        " + s.signer().serialHex());
        out.println("sha256:        " + s.signer().sha256Fingerprint());
        out.println("valid:         " + s.signer().notBefore() + " .. " + s.signer().notAfter());
        out.println("algorithm:     " + s.algorithm());
        out.println("signing time:  " + s.signingTime());
        out.println("signature:     " + s.signatureBytes() + " bytes of CMS SignedData (not checked; use --verify)");
        detachIfAsked(bytes);
        return ExitCodes.OK;
    }

    private void detachIfAsked(final byte[] signed) throws IOException {
        if (null == detach) {
            return;
        }
        final PayloadVerifier.Detached d = PayloadVerifier.detach(signed)
                .orElseThrow(() -> new SigningException(payload + ": unsigned, nothing to detach"));
        Files.write(Path.of(detach + ".bin"), d.content());
        Files.write(Path.of(detach + ".p7s"), d.signature());
    }

    /** Reads at most one byte more than the verifier looks at, so a huge file is refused without reading it all. */
    private static byte[] readBounded(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(PayloadVerifier.MAX_SIGNED_PAYLOAD + 1);
        }
    }

    /** A crash halfway leaves the old payload, never a truncated one. */
    private static void writeAtomically(final Path target, final byte[] bytes) throws IOException {
        final Path dir = target.toAbsolutePath().getParent();
        final Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void main(final String[] args) {
        System.exit(Cli.commandLine(new XspliceSignCommand()).execute(args));
    }
}
