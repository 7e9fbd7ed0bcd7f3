package dev.batchinference.metering;

import dev.batchinference.metering.RequestCounts.Operation;
import dev.batchinference.storage.ObjectStore;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An {@link ObjectStore} that counts the S3 requests made through it, by operation, into the tally open on the
 * calling thread ({@link RequestCounts}). One request per call, except: a listing counts one per page of 1,000 keys;
 * an upload through {@link #create} counts as one PutObject, however many parts it took; a concatenation counts one
 * PutObject and one read of each source (S3 copies most of them server-side, with UploadPartCopy).
 */
public final class CountingObjectStore implements ObjectStore {
    private static final int LIST_PAGE = 1000;

    private final ObjectStore store;

    public CountingObjectStore(ObjectStore store) {
        this.store = store;
    }

    @Override
    public Optional<StoredObject> head(String key) {
        RequestCounts.count(Operation.HEAD_OBJECT, 1);
        return store.head(key);
    }

    @Override
    public InputStream read(String key, String expectedEtag, long start, long endExclusive) {
        RequestCounts.count(Operation.GET_OBJECT, 1);
        return store.read(key, expectedEtag, start, endExclusive);
    }

    @Override
    public InputStream read(String key) {
        RequestCounts.count(Operation.GET_OBJECT, 1);
        return store.read(key);
    }

    @Override
    public void write(String key, byte[] content) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        store.write(key, content);
    }

    @Override
    public void write(String key, Path file) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        store.write(key, file);
    }

    @Override
    public boolean writeIfAbsent(String key, byte[] content) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        return store.writeIfAbsent(key, content);
    }

    @Override
    public boolean writeIfAbsent(String key, Path file) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        return store.writeIfAbsent(key, file);
    }

    @Override
    public boolean replaceIfMatch(String key, String etag, byte[] content) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        return store.replaceIfMatch(key, etag, content);
    }

    @Override
    public List<StoredObject> listObjects(String prefix) {
        List<StoredObject> listed = store.listObjects(prefix);
        RequestCounts.count(Operation.LIST_OBJECTS_V2, Math.max(1, (listed.size() + LIST_PAGE - 1) / LIST_PAGE));
        return listed;
    }

    @Override
    public void delete(String key) {
        RequestCounts.count(Operation.DELETE_OBJECT, 1);
        store.delete(key);
    }

    @Override
    public AbortableOutputStream create(String key) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        return store.create(key);
    }

    @Override
    public StoredObject concatenate(String key, byte[] head, List<String> sources) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        RequestCounts.count(Operation.GET_OBJECT, sources.size());
        return store.concatenate(key, head, sources);
    }

    @Override
    public StoredObject copy(String source, String target) {
        RequestCounts.count(Operation.PUT_OBJECT, 1);
        RequestCounts.count(Operation.GET_OBJECT, 1);
        return store.copy(source, target);
    }
}
