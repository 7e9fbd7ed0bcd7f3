package dev.batchinference.storage;

/** The object no longer has the ETag the reader pinned (it was overwritten). */
public class ObjectChangedException extends RuntimeException {
    public ObjectChangedException(String key, String etag) {
        super("object " + key + " no longer has ETag " + etag);
    }
}
