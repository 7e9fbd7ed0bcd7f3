package dev.batchinference.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The pipeline's bucket, as much of S3 as the pipeline uses. Keys are plain (decoded) object keys.
 * Reads of a missing key throw {@link NoSuchKeyException}.
 */
public interface ObjectStore {

    Optional<StoredObject> head(String key);

    /** Streams {@code [start, endExclusive)} of the object, only if it still has the given ETag. */
    InputStream read(String key, String expectedEtag, long start, long endExclusive);

    /** Streams the whole object. */
    InputStream read(String key);

    /** Creates or replaces the object. */
    void write(String key, byte[] content);

    /** Creates or replaces the object from a file, streamed through {@link #create} in bounded memory. */
    default void write(String key, Path file) {
        writeThrough(key, out -> Files.copy(file, out));
    }

    /** Creates the object only if the key is free; false if it exists (S3 {@code If-None-Match: *}). */
    boolean writeIfAbsent(String key, byte[] content);

    /** Creates the object from a file only if the key is free; false if it exists. */
    boolean writeIfAbsent(String key, Path file);

    /** Replaces the object only if its ETag is still {@code etag}; false otherwise (S3 {@code If-Match}). */
    boolean replaceIfMatch(String key, String etag, byte[] content);

    /** Every key under the prefix, in lexicographic order. */
    default List<String> list(String prefix) {
        return listObjects(prefix).stream().map(StoredObject::key).toList();
    }

    /**
     * Every object under the prefix with its size, ETag and last-modified time, in key order; listings
     * carry no version ids.
     */
    List<StoredObject> listObjects(String prefix);

    /**
     * Removes the object, if there is one. The functions never delete; a user's redrive removes a job's
     * terminal record and collation lock with it. Inputs are never deleted.
     */
    void delete(String key);

    /**
     * A stream that becomes the object when closed, in bounded memory (multipart for large objects);
     * nothing appears under the key if the stream is abandoned with {@link AbortableOutputStream#abort()}.
     */
    AbortableOutputStream create(String key);

    /**
     * Writes {@code key} as {@code head} followed by the whole of each source object, in order, in bounded
     * memory; nothing appears under the key if it fails. Here the bytes pass through this process; S3
     * copies most of them server-side.
     *
     * @return the object written: its size and ETag (no version id or time where the store's answer lacks them)
     */
    default StoredObject concatenate(String key, byte[] head, List<String> sources) {
        writeThrough(key, out -> {
            out.write(head);
            for (String source : sources) {
                try (InputStream in = read(source)) {
                    in.transferTo(out);
                }
            }
        });
        return written(key);
    }

    /**
     * Writes {@code target} as a copy of the whole of {@code source}; nothing appears under it if it fails. Here the
     * bytes pass through this process; S3 copies them itself.
     *
     * @return the object written, as {@link #concatenate} returns it
     */
    default StoredObject copy(String source, String target) {
        writeThrough(target, out -> {
            try (InputStream in = read(source)) {
                in.transferTo(out);
            }
        });
        return written(target);
    }

    private StoredObject written(String key) {
        return head(key).orElseThrow(() -> new NoSuchKeyException(key));
    }

    /** Writes the object through {@link #create}: all of {@code content}, or nothing if writing it fails. */
    private void writeThrough(String key, Content content) {
        AbortableOutputStream out = create(key);
        try {
            content.writeTo(out);
        } catch (IOException | RuntimeException e) {
            out.abort();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@link #writeThrough} writes. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** What a HEAD tells about an object. */
    record StoredObject(String key, long size, String etag, String versionId, java.time.Instant lastModified) {
    }

    /** An output stream that can be abandoned without leaving anything behind. */
    abstract class AbortableOutputStream extends OutputStream {
        public abstract void abort();
    }
}
