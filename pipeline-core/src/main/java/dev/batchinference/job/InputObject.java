package dev.batchinference.job;

import java.time.Instant;

/**
 * One version of an input object, as far as S3 lets us pin it: the version id where the bucket
 * is versioned, and always the ETag, so a job reads exactly the bytes it was started for.
 */
public record InputObject(String bucket, String key, String versionId, String etag, long size, Instant lastModified) {

    /** The model named by the key's first segment after {@code incoming/}. */
    public String modelName() {
        return JobKeys.modelNameOf(key);
    }

    /** The key's last path segment. */
    public String fileName() {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
