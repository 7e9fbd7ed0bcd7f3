package dev.batchinference.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** An {@link ObjectStore} in memory with S3's conditional-write semantics, for tests and offline use. */
public final class InMemoryObjectStore implements ObjectStore {
    private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>();

    private record Entry(byte[] content, String etag, Instant lastModified) {
    }

    @Override
    public Optional<StoredObject> head(String key) {
        Entry e = objects.get(key);
        return e == null ? Optional.empty()
                : Optional.of(new StoredObject(key, e.content.length, e.etag, null, e.lastModified));
    }

    @Override
    public InputStream read(String key, String expectedEtag, long start, long endExclusive) {
        Entry e = entry(key);
        if (expectedEtag != null && !expectedEtag.equals(e.etag)) {
            throw new ObjectChangedException(key, expectedEtag);
        }
        int from = (int) Math.min(start, e.content.length);
        int to = (int) Math.min(endExclusive, e.content.length);
        return new ByteArrayInputStream(e.content, from, Math.max(0, to - from));
    }

    @Override
    public InputStream read(String key) {
        return new ByteArrayInputStream(entry(key).content);
    }

    @Override
    public void write(String key, byte[] content) {
        objects.put(key, entryOf(content));
    }

    @Override
    public boolean writeIfAbsent(String key, byte[] content) {
        return objects.putIfAbsent(key, entryOf(content)) == null;
    }

    @Override
    public boolean writeIfAbsent(String key, Path file) {
        try {
            return writeIfAbsent(key, Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean replaceIfMatch(String key, String etag, byte[] content) {
        Entry current = objects.get(key);
        return current != null && current.etag.equals(etag) && objects.replace(key, current, entryOf(content));
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    @Override
    public List<StoredObject> listObjects(String prefix) {
        List<StoredObject> listed = new ArrayList<>();
        for (Map.Entry<String, Entry> e : objects.tailMap(prefix).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            Entry entry = e.getValue();
            listed.add(new StoredObject(e.getKey(), entry.content.length, entry.etag, null, entry.lastModified));
        }
        return listed;
    }

    @Override
    public AbortableOutputStream create(String key) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        return new AbortableOutputStream() {
            private boolean done;

            @Override
            public void write(int b) {
                buffer.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                buffer.write(b, off, len);
            }

            @Override
            public void abort() {
                done = true;
            }

            @Override
            public void close() {
                if (!done) {
                    done = true;
                    InMemoryObjectStore.this.write(key, buffer.toByteArray());
                }
            }
        };
    }

    private Entry entry(String key) {
        Entry e = objects.get(key);
        if (e == null) {
            throw new NoSuchKeyException(key);
        }
        return e;
    }

    private static Entry entryOf(byte[] content) {
        try {
            byte[] md5 = MessageDigest.getInstance("MD5").digest(content);
            return new Entry(content.clone(), "\"" + HexFormat.of().formatHex(md5) + "\"", Instant.now());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
