package dev.batchinference.model;

/** A model version pinned for a job: name, version and the sha256 of its ONNX file. */
public record ModelRef(String name, String version, String sha256) {
}
