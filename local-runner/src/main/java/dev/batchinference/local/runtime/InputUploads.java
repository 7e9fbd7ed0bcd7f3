package dev.batchinference.local.runtime;

import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Uploads files as clients do: one PUT, or a multipart upload in 8 MiB parts for a file over one part, two parts
 * at a time (as the aws CLI and the SDK's transfer manager send several): while S3Proxy takes in one part, the
 * next is read and signed. S3Proxy holds a PUT's whole body in its heap to check the payload's signature, so in
 * this JVM a file larger than the heap fits only in parts.
 */
final class InputUploads {
    /** S3's smallest part but the last; parts of a multipart upload this runtime makes. */
    static final int PART_BYTES = 8 * 1024 * 1024;
    /** Parts on their way at once: the heap holds this many parts (and S3Proxy as many again). */
    static final int PARTS_IN_FLIGHT = 2;

    private final S3Client s3;
    private final ObjectStore store;
    private final String bucket;

    InputUploads(S3Client s3, ObjectStore store, String bucket) {
        this.s3 = s3;
        this.store = store;
        this.bucket = bucket;
    }

    /** Uploads in one PUT, or in parts where the file is over one part. */
    void upload(String key, Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (size > PART_BYTES) {
            putMultipart(key, file);
        } else {
            put(key, file);
        }
    }

    void put(String key, Path file) {
        store.write(key, file);
    }

    /**
     * A multipart upload (a file of one part or less is one part), {@link #PARTS_IN_FLIGHT} parts at a time; a failed
     * upload is aborted.
     */
    void putMultipart(String key, Path file) {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        ExecutorService senders = Executors.newFixedThreadPool(PARTS_IN_FLIGHT, DaemonThreads.named("upload-" + key));
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            int count = (int) Math.max(1, (size + PART_BYTES - 1) / PART_BYTES);
            List<Future<CompletedPart>> parts = new ArrayList<>();
            for (int number = 1; number <= count; number++) {
                if (number > PARTS_IN_FLIGHT) {
                    parts.get(number - 1 - PARTS_IN_FLIGHT).get(); // at most PARTS_IN_FLIGHT parts read and not yet sent
                }
                byte[] part = in.readNBytes(PART_BYTES);
                int partNumber = number;
                parts.add(senders.submit(() -> CompletedPart.builder().partNumber(partNumber).eTag(s3.uploadPart(
                        b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber),
                        RequestBody.fromBytes(part)).eTag()).build()));
            }
            List<CompletedPart> completed = new ArrayList<>();
            for (Future<CompletedPart> part : parts) {
                completed.add(part.get());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(completed)));
        } catch (IOException | RuntimeException | ExecutionException | InterruptedException e) {
            senders.shutdownNow();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw cause instanceof IOException io ? new UncheckedIOException(io)
                    : cause instanceof RuntimeException r ? r : new IllegalStateException("upload of " + key + " failed", cause);
        } finally {
            senders.shutdown();
        }
    }
}
