package dev.batchinference.local.emulator;

/** Told of each object the embedded S3 stores, by bucket and (plain, not encoded) key. */
@FunctionalInterface
public interface ObjectCreatedListener {
    ObjectCreatedListener NONE = (bucket, key) -> { };

    void created(String bucket, String key);
}
