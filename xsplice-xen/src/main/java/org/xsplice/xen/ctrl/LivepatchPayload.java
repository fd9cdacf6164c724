package org.xsplice.xen.ctrl;

/**
 * One loaded payload as {@code xc_livepatch_list} reports it.
 *
 * @param name     the name it was uploaded under
 * @param status   its state and last action's result
 * @param metadata its {@code .modinfo} strings, NUL separators kept
 */
public record LivepatchPayload(String name, LivepatchStatus status, String metadata)
{
}
