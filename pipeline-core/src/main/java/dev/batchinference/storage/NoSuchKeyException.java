package dev.batchinference.storage;

/** The key names no object. */
public class NoSuchKeyException extends RuntimeException {
    public NoSuchKeyException(String key) {
        super("no object at key " + key);
    }
}
