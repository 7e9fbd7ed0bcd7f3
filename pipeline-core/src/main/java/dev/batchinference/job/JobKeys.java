package dev.batchinference.job;

import dev.batchinference.format.OutputFormat;
import java.util.List;
import java.util.Optional;

/**
 * The bucket layout (a contract: docs/design.md): where inputs, job state and outputs live; models are in {@code ModelKeys}.
 */
public final class JobKeys {
    public static final String INCOMING = "incoming/";
    public static final String JOBS = "jobs/";
    public static final String OUTPUT = "output/";

    /** What each output adds to the input's name; none of them ends another (see {@link #outputBase}). */
    public static final String PREDICTIONS_CSV = ".predictions.csv";
    public static final String PREDICTIONS_PARQUET = ".predictions.parquet";
    public static final String SUMMARY = ".summary.json";
    public static final String ERRORS = ".errors.csv";
    public static final List<String> OUTPUT_SUFFIXES = List.of(PREDICTIONS_CSV, PREDICTIONS_PARQUET,
            SUMMARY, ERRORS);
    /**
     * Predictions written as part objects: the folder, beside the other outputs, that holds their manifest and the
     * parts ({@code x.csv.predictions/manifest.json}, {@code x.csv.predictions/part-00000.csv}); no key in it ends
     * with an output suffix, so it never holds another input's output either.
     */
    public static final String PREDICTIONS_PARTS = ".predictions/";
    public static final String MANIFEST = "manifest.json";

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

    /** A checkpoint of a job planned over several invocations ({@code PlanningStep}), written once. */
    public static String step(String jobId, int step) {
        return JOBS + jobId + "/steps/" + chunkName(step) + ".json";
    }

    /** Written once the planning queue has taken the message that continues a job's planning from a step. */
    public static String handover(String jobId, int step) {
        return JOBS + jobId + "/handovers/" + chunkName(step) + ".json";
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

    /** Markers of the completion groups of one level (level 1 groups chunks, level 2 groups level 1's, ...). */
    public static String groups(String jobId, int level) {
        return JOBS + jobId + "/groups/" + level + "/";
    }

    /** The marker of a whole completion group, written once when every member of the group is done. */
    public static String group(String jobId, int level, int index) {
        return groups(jobId, level) + chunkName(index) + ".json";
    }

    /**
     * The index a done or group marker's key names ({@code .../000123.json} → 123), or -1 for a key that is not a
     * finished marker (some stores list an object being written under a temporary name beside it).
     */
    public static int markerIndex(String key) {
        int name = key.lastIndexOf('/') + 1;
        if (!key.endsWith(".json") || key.length() - ".json".length() <= name) {
            return -1;
        }
        String digits = key.substring(name, key.length() - ".json".length());
        for (int i = 0; i < digits.length(); i++) {
            if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
                return -1;
            }
        }
        return digits.length() > 9 ? -1 : Integer.parseInt(digits);
    }

    /**
     * The shortest key prefix under {@code folder} that every marker of indexes {@code [first, first + 10^digits)} starts
     * with, when {@code first} is a multiple of {@code 10^digits}: {@code 000100} less its last two digits for 100..199.
     */
    public static String markerPrefix(String folder, int first, int digits) {
        String name = chunkName(first);
        return folder + name.substring(0, name.length() - digits);
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

    /**
     * {@code incoming/<model>/a/b/file.csv} → {@code output/<model>/a/b/file.csv}: the name every output of the
     * input starts with, the input's whole key with {@code incoming/} swapped for {@code output/}. Each output
     * adds a suffix of its own ({@link #PREDICTIONS_CSV}, {@link #PREDICTIONS_PARQUET}, {@link #SUMMARY},
     * {@link #ERRORS}), none of which ends another; so two different inputs never share an output key, whatever
     * their names (a.csv and a.tsv, a.csv and a.CSV, a.csv and a.csv.gz).
     */
    public static String outputBase(String incomingKey) {
        if (!incomingKey.startsWith(INCOMING)) {
            throw new IllegalArgumentException("not an input key (incoming/<model>/<file>): " + incomingKey);
        }
        return OUTPUT + incomingKey.substring(INCOMING.length());
    }

    /** Where CSV predictions of an input go (the default for CSV inputs). */
    public static String predictions(String incomingKey) {
        return predictions(incomingKey, OutputFormat.CSV);
    }

    public static String predictions(String incomingKey, OutputFormat format) {
        return outputBase(incomingKey) + predictionsSuffix(format);
    }

    /** The manifest of predictions written as part objects. */
    public static String predictionsManifest(String incomingKey) {
        return outputBase(incomingKey) + PREDICTIONS_PARTS + MANIFEST;
    }

    /** The {@code index}-th part object of predictions written in parts, from 0: {@code part-00000.csv}. */
    public static String predictionsPart(String incomingKey, int index, OutputFormat format) {
        return outputBase(incomingKey) + PREDICTIONS_PARTS + String.format("part-%05d", index) + format.extension();
    }

    public static String summary(String incomingKey) {
        return outputBase(incomingKey) + SUMMARY;
    }

    public static String errors(String incomingKey) {
        return outputBase(incomingKey) + ERRORS;
    }

    /** What the predictions add to an output's name: {@code .predictions.csv} or {@code .predictions.parquet}. */
    public static String predictionsSuffix(OutputFormat format) {
        return format == OutputFormat.PARQUET ? PREDICTIONS_PARQUET : PREDICTIONS_CSV;
    }

    /**
     * What makes an input key one the pipeline will not run, if anything: a path segment that is empty
     * ({@code a//b}, {@code /a}), {@code .} or {@code ..}. S3 keeps such keys literally, but a file system
     * (the local S3, a sync to disk, most tools that mirror a bucket) reads them as another path, so the same
     * upload would mean different files in different places.
     */
    public static Optional<String> inputKeyProblem(String incomingKey) {
        String[] segments = incomingKey.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.of("the key '" + incomingKey + "' has a '" + segment + "' path segment, which S3 keeps"
                        + " as a name but file systems (and the local S3) read as a way to another folder: upload the file"
                        + " under a key without '.' or '..' segments");
            }
            if (segment.isEmpty() && i < segments.length - 1) {
                return Optional.of("the key '" + incomingKey + "' has an empty path segment ('//'), which S3 keeps"
                        + " but file systems (and the local S3) drop: upload the file under a key without '//'");
            }
        }
        return Optional.empty();
    }

    private static String chunkName(int chunk) {
        return String.format("%06d", chunk);
    }
}
