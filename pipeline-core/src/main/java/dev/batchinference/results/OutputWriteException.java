package dev.batchinference.results;

import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectChangedException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Writing one of a job's outputs failed: the key, and what the store said. Its description goes into the collation
 * lock and, once the job ends OUTPUT_WRITE_FAILED, into its summary, so it never carries row data: the message of
 * an exception is kept only where it comes from the store or the file system (the AWS SDK's errors describe the
 * request, never the object's bytes); any other exception is named by its type, as in the logs.
 */
final class OutputWriteException extends RuntimeException {
    private final String key;

    OutputWriteException(String key, RuntimeException cause) {
        super("writing " + key + " failed: " + errorOf(cause), cause);
        this.key = key;
    }

    String key() {
        return key;
    }

    /** What went wrong in a collation, for the lock and the summary: the key written, where known, and the error. */
    static String describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof OutputWriteException e) {
                return cut(e.getMessage());
            }
        }
        return cut(errorOf(failure));
    }

    /** The first exception in the chain whose message may be told, with its message; else the outermost's type. */
    private static String errorOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (tellable(t) && t.getMessage() != null) {
                return t.getClass().getSimpleName() + ": " + firstLine(t.getMessage());
            }
        }
        return failure.getClass().getSimpleName();
    }

    private static boolean tellable(Throwable t) {
        return t.getClass().getName().startsWith("software.amazon.awssdk.")
                || t instanceof IOException || t instanceof UncheckedIOException
                || t instanceof NoSuchKeyException || t instanceof ObjectChangedException;
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).strip();
    }

    private static String cut(String text) {
        return text.length() <= CollationLock.MAX_FAILURE_CHARS ? text
                : text.substring(0, CollationLock.MAX_FAILURE_CHARS - 1) + "…";
    }
}
