package dev.batchinference.faults;

import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** An {@link ObjectStore} that fails as S3 and crashing functions do, where a {@link FaultPlan} says. */
public final class FaultyObjectStore implements ObjectStore {
    private final ObjectStore store;
    private final FaultPlan plan;

    public FaultyObjectStore(ObjectStore store, FaultPlan plan) {
        this.store = store;
        this.plan = plan;
    }

    /**
     * As {@link #FaultyObjectStore(ObjectStore, FaultPlan)}, and every write to a key {@code refused} matches fails
     * as S3 answers a role without the grant or a bucket policy's deny: 403 AccessDenied, every time.
     */
    public FaultyObjectStore(ObjectStore store, FaultPlan plan, Predicate<String> refused) {
        this(new RefusingWrites(store, refused), plan);
    }

    private void maybeSlowDown() {
        if (plan.strikes(Fault.S3_SLOW_DOWN)) {
            throw S3Exception.builder().statusCode(503).message("Please reduce your request rate. (SlowDown, injected)")
                    .build();
        }
    }

    private static boolean isPart(String key) {
        return key.contains("/parts/") && !key.endsWith(".errors.csv");
    }

    @Override
    public Optional<StoredObject> head(String key) {
        maybeSlowDown();
        return store.head(key);
    }

    @Override
    public InputStream read(String key, String expectedEtag, long start, long endExclusive) {
        maybeSlowDown();
        return store.read(key, expectedEtag, start, endExclusive);
    }

    @Override
    public InputStream read(String key) {
        maybeSlowDown();
        return store.read(key);
    }

    @Override
    public void write(String key, byte[] content) {
        maybeSlowDown();
        store.write(key, content);
    }

    @Override
    public void write(String key, Path file) {
        maybeSlowDown();
        store.write(key, file);
    }

    @Override
    public boolean writeIfAbsent(String key, byte[] content) {
        maybeSlowDown();
        boolean written = store.writeIfAbsent(key, content);
        if ((key.contains("/done/") || key.contains("/groups/")) && plan.strikes(Fault.DURING_COMPLETION)) {
            throw new FaultPlan.InjectedFault(Fault.DURING_COMPLETION);
        }
        return written;
    }

    @Override
    public boolean writeIfAbsent(String key, Path file) {
        maybeSlowDown();
        if (isPart(key) && plan.strikes(Fault.BEFORE_PART_WRITE)) {
            throw new FaultPlan.InjectedFault(Fault.BEFORE_PART_WRITE);
        }
        boolean written = store.writeIfAbsent(key, file);
        if (isPart(key) && plan.strikes(Fault.AFTER_PART_WRITE)) {
            throw new FaultPlan.InjectedFault(Fault.AFTER_PART_WRITE);
        }
        return written;
    }

    @Override
    public boolean replaceIfMatch(String key, String etag, byte[] content) {
        maybeSlowDown();
        return store.replaceIfMatch(key, etag, content);
    }

    @Override
    public List<StoredObject> listObjects(String prefix) {
        maybeSlowDown();
        return store.listObjects(prefix);
    }

    @Override
    public void delete(String key) {
        maybeSlowDown();
        store.delete(key);
    }

    @Override
    public AbortableOutputStream create(String key) {
        maybeSlowDown();
        AbortableOutputStream out = store.create(key);
        if (!key.startsWith("output/") || !plan.strikes(Fault.DURING_COLLATION)) {
            return out;
        }
        // dies part-way through the stream; the target object must not appear
        long dieAfter = 1 + plan.nextInt(4096);
        return new AbortableOutputStream() {
            private long written;

            @Override
            public void write(int b) throws IOException {
                check(1);
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                check(len);
                out.write(b, off, len);
            }

            private void check(int len) {
                written += len;
                if (written > dieAfter) {
                    throw new FaultPlan.InjectedFault(Fault.DURING_COLLATION);
                }
            }

            @Override
            public void abort() {
                out.abort();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    /** Writes to the keys it refuses fail with S3's 403 AccessDenied; everything else goes to the store. */
    private static final class RefusingWrites implements ObjectStore {
        private final ObjectStore store;
        private final Predicate<String> refused;

        RefusingWrites(ObjectStore store, Predicate<String> refused) {
            this.store = store;
            this.refused = refused;
        }

        private void check(String key) {
            if (refused.test(key)) {
                throw S3Exception.builder().statusCode(403).message("Access Denied").awsErrorDetails(
                        AwsErrorDetails.builder().errorCode("AccessDenied").errorMessage("Access Denied")
                                .serviceName("S3").build()).build();
            }
        }

        @Override
        public Optional<StoredObject> head(String key) {
            return store.head(key);
        }

        @Override
        public InputStream read(String key, String expectedEtag, long start, long endExclusive) {
            return store.read(key, expectedEtag, start, endExclusive);
        }

        @Override
        public InputStream read(String key) {
            return store.read(key);
        }

        @Override
        public void write(String key, byte[] content) {
            check(key);
            store.write(key, content);
        }

        @Override
        public void write(String key, Path file) {
            check(key);
            store.write(key, file);
        }

        @Override
        public boolean writeIfAbsent(String key, byte[] content) {
            check(key);
            return store.writeIfAbsent(key, content);
        }

        @Override
        public boolean writeIfAbsent(String key, Path file) {
            check(key);
            return store.writeIfAbsent(key, file);
        }

        @Override
        public boolean replaceIfMatch(String key, String etag, byte[] content) {
            check(key);
            return store.replaceIfMatch(key, etag, content);
        }

        @Override
        public List<StoredObject> listObjects(String prefix) {
            return store.listObjects(prefix);
        }

        @Override
        public void delete(String key) {
            check(key);
            store.delete(key);
        }

        @Override
        public AbortableOutputStream create(String key) {
            check(key);
            return store.create(key);
        }

        @Override
        public StoredObject concatenate(String key, byte[] head, List<String> sources) {
            check(key);
            return store.concatenate(key, head, sources);
        }
    }
}
