package dev.batchinference.faults;

import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** An {@link ObjectStore} that fails as S3 and crashing functions do, where a {@link FaultPlan} says. */
public final class FaultyObjectStore implements ObjectStore {
    private final ObjectStore store;
    private final FaultPlan plan;

    public FaultyObjectStore(ObjectStore store, FaultPlan plan) {
        this.store = store;
        this.plan = plan;
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
        return store.writeIfAbsent(key, content);
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
}
