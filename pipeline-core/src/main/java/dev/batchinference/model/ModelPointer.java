package dev.batchinference.model;

/** {@code models/<name>/current.json}: which version is current, replaced atomically on promotion. */
public record ModelPointer(String version, String sha256) {
}
