package dev.batchinference.job;

import dev.batchinference.format.OutputFormat;

/**
 * The bucket layout (a contract: docs/design.md): where inputs, job state and outputs live; models are in {@code ModelKeys}.
 */
public final class JobKeys {
    public static final String INCOMING = "incoming/";
    public static final String JOBS = "jobs/";
    public static final String OUTPUT = "output/";

    private JobKeys() {
    }

    public static boolean isIncoming(String key) {
        return key.startsWith(INCOMING) && key.indexOf('/', INCOMING.length()) > INCOMING.length()
                && !key.endsWith("/");
    }

    /** {@code incoming/<model>/...} → {@code <model>}. */
    public static String modelNameOf(String incomingKey) {
        if (!isIncoming(incomingKey)) {
            throw new IllegalArgumentException("not an input key (incoming/<model>/<file>): " + incomingKey);
        }
        return incomingKey.substring(INCOMING.length(), incomingKey.indexOf('/', INCOMING.length()));
    }

    public static String plan(String jobId) {
        return JOBS + jobId + "/plan.json";
    }

    public static String dispatched(String jobId) {
        return JOBS + jobId + "/dispatched.json";
    }

    /** A chunk's predictions, in the job's output format. */
    public static String part(String jobId, int chunk, OutputFormat format) {
        return JOBS + jobId + "/parts/" + chunkName(chunk) + format.extension();
    }

    /** An uncompressed chunk ingest cut out of a compressed input. */
    public static String staged(String jobId, int chunk) {
        return JOBS + jobId + "/staged/" + chunkName(chunk) + ".csv";
    }

    public static String errorsPart(String jobId, int chunk) {
        return JOBS + jobId + "/parts/" + chunkName(chunk) + ".errors.csv";
    }

    public static String doneMarkers(String jobId) {
        return JOBS + jobId + "/done/";
    }

    public static String done(String jobId, int chunk) {
        return doneMarkers(jobId) + chunkName(chunk) + ".json";
    }

    public static String collateLock(String jobId) {
        return JOBS + jobId + "/collate.lock";
    }

    /** Records of the job's re-drives (by a scheduled run, a restart of the local runtime, or a user). */
    public static String redrives(String jobId) {
        return JOBS + jobId + "/redrives/";
    }

    public static String redrive(String jobId, java.time.Instant at) {
        return redrives(jobId) + String.format("%013d", at.toEpochMilli()) + ".json";
    }

    /** The job id in a key under {@code jobs/}, or null for a key that is not a job's. */
    public static String jobIdOf(String key) {
        int end = key.indexOf('/', JOBS.length());
        return key.startsWith(JOBS) && end > JOBS.length() ? key.substring(JOBS.length(), end) : null;
    }

    /** Written once, conditionally: the job's terminal decision. */
    public static String terminal(String jobId) {
        return JOBS + jobId + "/final.json";
    }

    /** {@code incoming/<model>/a/b/file.csv} → {@code output/<model>/a/b/file} (the outputs' common stem). */
    public static String outputStem(String incomingKey) {
        String rest = incomingKey.substring(INCOMING.length());
        String name = rest.substring(rest.lastIndexOf('/') + 1);
        String stem = stripExtension(name);
        return OUTPUT + rest.substring(0, rest.length() - name.length()) + stem;
    }

    /** Where CSV predictions of an input go (the default for CSV inputs). */
    public static String predictions(String incomingKey) {
        return predictions(incomingKey, OutputFormat.CSV);
    }

    public static String predictions(String incomingKey, OutputFormat format) {
        return outputStem(incomingKey) + ".predictions" + format.extension();
    }

    public static String summary(String incomingKey) {
        return outputStem(incomingKey) + ".summary.json";
    }

    public static String errors(String incomingKey) {
        return outputStem(incomingKey) + ".errors.csv";
    }

    private static String chunkName(int chunk) {
        return String.format("%06d", chunk);
    }

    private static String stripExtension(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        for (String ext : new String[] {".csv.gz", ".csv", ".tsv", ".parquet"}) {
            if (lower.endsWith(ext) && lower.length() > ext.length()) {
                return name.substring(0, name.length() - ext.length());
            }
        }
        return name;
    }
}
