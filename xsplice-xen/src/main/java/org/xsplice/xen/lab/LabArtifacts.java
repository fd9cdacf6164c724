package org.xsplice.xen.lab;

import java.nio.file.Path;

/**
 * The cached artefacts a boot uses, keyed by the Debian package versions they come from.
 *
 * @param directory      the cache directory holding them
 * @param xen            Debian's hypervisor, uncompressed: the multiboot ELF32 wrapper QEMU loads
 * @param xenGz          the hypervisor exactly as the package ships it ({@code xen-4.17-amd64.gz})
 * @param kernel         the dom0 kernel
 * @param rootfs         dom0's initramfs (zstd-compressed cpio)
 * @param xenVersion     version of {@code xen-hypervisor-4.17-amd64} (and of {@code xen-utils-4.17})
 * @param kernelPackage  the kernel package
 * @param kernelVersion  its version
 */
public record LabArtifacts(Path directory, Path xen, Path xenGz, Path kernel, Path rootfs, String xenVersion,
                           String kernelPackage, String kernelVersion)
{
}
