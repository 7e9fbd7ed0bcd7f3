package dev.batchinference.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Job ids are derived from the object version they process, so the same version notified twice
 * (S3 delivers at least once; a sweep may find it again) names the same job.
 */
public final class JobId {
    private JobId() {
    }

    public static String of(InputObject input) {
        String identity = String.join("\n",
                input.bucket(),
                input.key(),
                input.versionId() == null ? "" : input.versionId(),
                input.etag() == null ? "" : input.etag(),
                // seconds: S3 listings and HEAD report the same time at this resolution
                input.lastModified() == null ? "" : Long.toString(input.lastModified().getEpochSecond()));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
