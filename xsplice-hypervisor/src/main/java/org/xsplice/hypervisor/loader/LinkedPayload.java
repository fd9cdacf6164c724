package org.xsplice.hypervisor.loader;

/**
 * The loader's result: the payload's description and its relocated image, ready to be written
 * at {@code payload.base()}. The block is allocated in the area the loader was given; the
 * caller owns it (frees it on a later failure, or at unload).
 *
 * @param payload the payload, state CHECKED
 * @param image   {@code payload.size()} bytes: text, rw and ro parts at their page-aligned offsets
 */
public record LinkedPayload(LoadedPayload payload, byte[] image) {
}
