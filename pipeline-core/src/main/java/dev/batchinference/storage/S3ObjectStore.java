package dev.batchinference.storage;

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
    public void write(String key, Path file) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromFile(file));
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

    /** Buffers one part at a time; small objects become a single PUT. */
    private final class MultipartOutputStream extends AbortableOutputStream {
        private final String key;
        private final List<CompletedPart> parts = new ArrayList<>();
        private byte[] buffer = new byte[64 * 1024];
        private int size;
        private String uploadId;
        private boolean finished;

        MultipartOutputStream(String key) {
            this.key = key;
        }

        @Override
        public void write(int b) {
            ensureCapacity(1);
            buffer[size++] = (byte) b;
            flushFullPart();
        }

        @Override
        public void write(byte[] b, int off, int len) {
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
                if (uploadId == null) {
                    uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
                }
                uploadPart();
            }
        }

        private void uploadPart() {
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
                    s3.putObject(b -> b.bucket(bucket).key(key),
                            RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, size)));
                    return;
                }
                if (size > 0) {
                    uploadPart();
                }
                s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket).key(key)
                        .uploadId(uploadId).multipartUpload(m -> m.parts(parts)).build());
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
