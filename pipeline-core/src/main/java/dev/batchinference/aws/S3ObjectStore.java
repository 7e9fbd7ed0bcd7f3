package dev.batchinference.aws;

import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectChangedException;
import dev.batchinference.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** An {@link ObjectStore} backed by one S3 bucket through the AWS SDK (AWS, LocalStack, moto, S3Proxy). */
public final class S3ObjectStore implements ObjectStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(S3ObjectStore.class);
    /** Parts of a multipart upload; S3 wants at least 5 MiB for every part but the last. */
    static final int PART_SIZE = 8 * 1024 * 1024;
    /** S3's smallest part but the last. */
    static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    /** S3's largest part, copied or uploaded. */
    static final long MAX_PART_SIZE = 5L * 1024 * 1024 * 1024;

    private final S3Client s3;
    private final String bucket;

    public S3ObjectStore(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    public String bucket() {
        return bucket;
    }

    @Override
    public Optional<StoredObject> head(String key) {
        try {
            HeadObjectResponse r = s3.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new StoredObject(key, r.contentLength(), r.eTag(), r.versionId(), r.lastModified()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public InputStream read(String key, String expectedEtag, long start, long endExclusive) {
        if (endExclusive <= start) {
            return new ByteArrayInputStream(new byte[0]);
        }
        GetObjectRequest.Builder request = GetObjectRequest.builder().bucket(bucket).key(key)
                .range("bytes=" + start + "-" + (endExclusive - 1));
        if (expectedEtag != null) {
            request.ifMatch(expectedEtag);
        }
        return get(request.build(), expectedEtag);
    }

    @Override
    public InputStream read(String key) {
        return get(GetObjectRequest.builder().bucket(bucket).key(key).build(), null);
    }

    private InputStream get(GetObjectRequest request, String expectedEtag) {
        try {
            return s3.getObject(request);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new NoSuchKeyException(request.key());
            }
            if (e.statusCode() == 412) {
                throw new ObjectChangedException(request.key(), expectedEtag);
            }
            throw e;
        }
    }

    @Override
    public void write(String key, byte[] content) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }

    @Override
    public boolean writeIfAbsent(String key, byte[] content) {
        return conditionalPut(PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*").build(), content);
    }

    @Override
    public boolean writeIfAbsent(String key, Path file) {
        try {
            s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*").build(),
                    RequestBody.fromFile(file));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public boolean replaceIfMatch(String key, String etag, byte[] content) {
        return conditionalPut(PutObjectRequest.builder().bucket(bucket).key(key).ifMatch(etag).build(), content);
    }

    private boolean conditionalPut(PutObjectRequest request, byte[] content) {
        try {
            s3.putObject(request, RequestBody.fromBytes(content));
            return true;
        } catch (S3Exception e) {
            // 412: the condition failed; 409: a concurrent conditional write to the same key won;
            // 404: If-Match on a key that is gone
            if (e.statusCode() == 412 || e.statusCode() == 409 || e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public List<StoredObject> listObjects(String prefix) {
        List<StoredObject> objects = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            objects.add(new StoredObject(o.key(), o.size(), o.eTag(), null, o.lastModified()));
        }
        return objects;
    }

    @Override
    public void delete(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public AbortableOutputStream create(String key) {
        return new MultipartOutputStream(key);
    }

    /**
     * Has S3 copy the sources server-side (UploadPartCopy) wherever its part rules allow, so their bytes
     * do not pass through this process: only the leading bytes are uploaded, with what it takes from
     * the start of the next source to make that first part S3's 5 MiB minimum, and any source too small
     * to be a part of its own. Every source is copied or read only if it still has the ETag it had when
     * this looked at it.
     */
    @Override
    public StoredObject concatenate(String key, byte[] leading, List<String> sources) {
        MultipartOutputStream out = new MultipartOutputStream(key);
        try {
            out.write(leading, 0, leading.length);
            for (int i = 0; i < sources.size(); i++) {
                String sourceKey = sources.get(i);
                StoredObject source = head(sourceKey).orElseThrow(() -> new NoSuchKeyException(sourceKey));
                out.append(source, i == sources.size() - 1);
            }
        } catch (RuntimeException e) {
            out.abort();
            throw e;
        }
        out.close();
        return new StoredObject(key, out.length, out.etag, out.versionId, null);
    }

    /**
     * One CopyObject, only if the source still has the ETag its HEAD gave: the bytes stay in S3 (up to 5 GiB, S3's
     * limit on a single copy).
     */
    @Override
    public StoredObject copy(String sourceKey, String target) {
        StoredObject source = head(sourceKey).orElseThrow(() -> new NoSuchKeyException(sourceKey));
        try {
            CopyObjectResponse r = s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(sourceKey)
                    .copySourceIfMatch(source.etag()).destinationBucket(bucket).destinationKey(target));
            return new StoredObject(target, source.size(), r.copyObjectResult().eTag(), r.versionId(),
                    r.copyObjectResult().lastModified());
        } catch (S3Exception e) {
            if (e.statusCode() == 412) {
                throw new ObjectChangedException(sourceKey, source.etag());
            }
            throw e;
        }
    }

    /** Buffers one part at a time; small objects become a single PUT. */
    private final class MultipartOutputStream extends AbortableOutputStream {
        private final String key;
        private final List<CompletedPart> parts = new ArrayList<>();
        private byte[] buffer = new byte[64 * 1024];
        private int size;
        private String uploadId;
        private boolean finished;
        /** What the object holds so far, and once closed its ETag and version as S3 answered. */
        private long length;
        private String etag;
        private String versionId;

        MultipartOutputStream(String key) {
            this.key = key;
        }

        @Override
        public void write(int b) {
            length++;
            ensureCapacity(1);
            buffer[size++] = (byte) b;
            flushFullPart();
        }

        @Override
        public void write(byte[] b, int off, int len) {
            length += len;
            while (len > 0) {
                int n = Math.min(len, PART_SIZE - size);
                ensureCapacity(n);
                System.arraycopy(b, off, buffer, size, n);
                size += n;
                off += n;
                len -= n;
                flushFullPart();
            }
        }

        private void ensureCapacity(int extra) {
            if (size + extra > buffer.length) {
                byte[] bigger = new byte[Math.min(PART_SIZE, Math.max(buffer.length * 2, size + extra))];
                System.arraycopy(buffer, 0, bigger, 0, size);
                buffer = bigger;
            }
        }

        private void flushFullPart() {
            if (size == PART_SIZE) {
                uploadPart();
            }
        }

        /**
         * Appends a whole object of the bucket: copied as parts of its own where S3 allows that here, after
         * topping a pending part up to S3's minimum from its start; streamed through where not.
         */
        void append(StoredObject source, boolean last) {
            long length = source.size();
            long topUp = size == 0 || size >= MIN_PART_SIZE ? 0 : MIN_PART_SIZE - size;
            long copied = length - topUp;
            if (copied <= 0 || copied > MAX_PART_SIZE || copied < MIN_PART_SIZE && !last) {
                stream(source, 0, length);
                return;
            }
            stream(source, 0, topUp);
            if (size > 0) {
                uploadPart();
            }
            copyPart(source, topUp, length);
        }

        private void stream(StoredObject source, long start, long endExclusive) {
            try (InputStream in = read(source.key(), source.etag(), start, endExclusive)) {
                in.transferTo(this);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private void copyPart(StoredObject source, long start, long endExclusive) {
            startUpload();
            int number = parts.size() + 1;
            String range = start == 0 && endExclusive == source.size() ? null : "bytes=" + start + "-" + (endExclusive - 1);
            try {
                String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(source.key())
                        .copySourceIfMatch(source.etag()).copySourceRange(range)
                        .destinationBucket(bucket).destinationKey(key).uploadId(uploadId).partNumber(number))
                        .copyPartResult().eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                length += endExclusive - start;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    throw new ObjectChangedException(source.key(), source.etag());
                }
                throw e;
            }
        }

        private void startUpload() {
            if (uploadId == null) {
                uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
            }
        }

        private void uploadPart() {
            startUpload();
            int number = parts.size() + 1;
            String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number),
                    RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, size))).eTag();
            parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            size = 0;
        }

        @Override
        public void close() {
            if (finished) {
                return;
            }
            finished = true;
            try {
                if (uploadId == null) {
                    var put = s3.putObject(b -> b.bucket(bucket).key(key),
                            RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, size)));
                    etag = put.eTag();
                    versionId = put.versionId();
                    return;
                }
                if (size > 0) {
                    uploadPart();
                }
                var completed = s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket)
                        .key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)).build());
                etag = completed.eTag();
                versionId = completed.versionId();
            } catch (RuntimeException e) {
                abortQuietly();
                throw e;
            }
        }

        @Override
        public void abort() {
            if (!finished) {
                finished = true;
                abortQuietly();
            }
        }

        private void abortQuietly() {
            if (uploadId != null) {
                try {
                    s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
                } catch (RuntimeException e) {
                    // the original failure matters more; an abandoned upload costs storage until the
                    // bucket's lifecycle rule removes it
                    LOG.warn("could not abort multipart upload of {}: {}", key, e.toString());
                }
            }
        }
    }
}
