package org.xsplice.cli;

import picocli.CommandLine.IVersionProvider;

/** Reads the version from the jar manifest, or says it runs from classes. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        final String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {"xsplice " + (null == v ? "(development build)" : v),
            "Java " + Runtime.version()};
    }
}
