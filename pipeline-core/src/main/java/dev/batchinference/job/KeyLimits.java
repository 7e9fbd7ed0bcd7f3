package dev.batchinference.job;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.OutputFormat;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The longest keys the pipeline writes: S3 allows 1,024 bytes of UTF-8 per key, and a store that keeps each
 * path segment as a file name allows 255 bytes per segment, less what it adds for its temporary files
 * (S3Proxy's file-system store, behind {@code ./pipeline serve} and {@code run}, adds 37: 218 bytes). A job
 * checks every key it will write before any work, so a name too long for an output ends the job at once
 * instead of failing its writes over and over.
 */
public final class KeyLimits {
    public static final int MAX_KEY_BYTES = 1024;
    public static final int MAX_SEGMENT_BYTES = 218;

    private KeyLimits() {
    }

    /** What is wrong with the key, if anything: which limit it exceeds and by how much. */
    public static Optional<String> problem(String key) {
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) {
            return Optional.of("the key " + shortened(key) + " would be " + bytes + " bytes, more than the " + MAX_KEY_BYTES
                    + " S3 allows");
        }
        for (String segment : key.split("/")) {
            int segmentBytes = segment.getBytes(StandardCharsets.UTF_8).length;
            if (segmentBytes > MAX_SEGMENT_BYTES) {
                return Optional.of("the name " + shortened(segment) + " in " + shortened(key) + " would be " + segmentBytes
                        + " bytes, more than the " + MAX_SEGMENT_BYTES + " a file name may have in the local store");
            }
        }
        return Optional.empty();
    }

    /**
     * Every key a job for {@code inputKey} writes outside {@code jobs/} (whose keys have a fixed length): its
     * predictions in the given format (as one object, or the longest key of predictions in parts), summary and errors
     * file.
     */
    public static List<String> outputKeys(String inputKey, OutputFormat output) {
        return List.of(JobKeys.predictions(inputKey, output), JobKeys.predictionsPart(inputKey, 99_999, output),
                JobKeys.summary(inputKey), JobKeys.errors(inputKey));
    }

    /** LIMIT_EXCEEDED naming the first output key of the job that does not fit. */
    public static void checkOutputKeys(String inputKey, OutputFormat output) {
        for (String key : outputKeys(inputKey, output)) {
            problem(key).ifPresent(p -> {
                throw new PipelineException(FailureReason.LIMIT_EXCEEDED, p + ": shorten the input's name or path");
            });
        }
    }

    private static String shortened(String text) {
        return "'" + (text.length() > 60 ? text.substring(0, 28) + "…" + text.substring(text.length() - 28) : text) + "'";
    }
}
