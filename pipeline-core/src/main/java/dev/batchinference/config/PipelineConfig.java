package dev.batchinference.config;

import dev.batchinference.cost.CostSettings;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ColumnSelection;
import dev.batchinference.format.Compression;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.ScanBudget;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a function reads from its environment, built once. Lambda passes {@code System.getenv()};
 * the local runtime and tests pass a map with the same names (see {@link #NAMES}).
 */
public record PipelineConfig(
        String bucket,
        String workQueueUrl,
        String resultsQueueUrl,
        Optional<URI> s3Endpoint,
        Optional<URI> sqsEndpoint,
        String region,
        Optional<Credentials> credentials,
        ChunkLimits chunkLimits,
        int inferenceBatchRows,
        Path modelCacheDir,
        Duration collateLease,
        Duration stalledJobAfter,
        DataSettings data,
        Limits limits,
        CostSettings cost,
        String planningQueueUrl,
        Planning planning) {

    public static final String BUCKET = "PIPELINE_BUCKET";
    public static final String WORK_QUEUE_URL = "WORK_QUEUE_URL";
    public static final String RESULTS_QUEUE_URL = "RESULTS_QUEUE_URL";
    /** The AWS SDK's own names for endpoint overrides (LocalStack, moto, the embedded emulators). */
    public static final String ENDPOINT = "AWS_ENDPOINT_URL";
    public static final String S3_ENDPOINT = "AWS_ENDPOINT_URL_S3";
    public static final String SQS_ENDPOINT = "AWS_ENDPOINT_URL_SQS";
    public static final String REGION = "AWS_REGION";
    public static final String ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
    public static final String SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";
    public static final String SESSION_TOKEN = "AWS_SESSION_TOKEN";
    public static final String CHUNK_MAX_ROWS = "CHUNK_MAX_ROWS";
    public static final String CHUNK_MAX_BYTES = "CHUNK_MAX_BYTES";
    public static final String INFERENCE_BATCH_ROWS = "INFERENCE_BATCH_ROWS";
    public static final String MODEL_CACHE_DIR = "MODEL_CACHE_DIR";
    public static final String COLLATE_LEASE_SECONDS = "COLLATE_LEASE_SECONDS";
    public static final String COLLATE_MAX_ATTEMPTS = "COLLATE_MAX_ATTEMPTS";
    public static final String STALLED_JOB_SECONDS = "STALLED_JOB_SECONDS";
    public static final String CSV_DELIMITER = "CSV_DELIMITER";
    public static final String OUTPUT_FORMAT = "OUTPUT_FORMAT";
    public static final String PARQUET_COMPRESSION = "PARQUET_COMPRESSION";
    public static final String FEATURE_COLUMNS = "FEATURE_COLUMNS";
    public static final String PASS_THROUGH = "PASS_THROUGH";
    public static final String MAX_REJECTED_PERCENT = "MAX_REJECTED_PERCENT";
    public static final String MAX_REJECTED_ROWS = "MAX_REJECTED_ROWS";
    public static final String MAX_RECORD_BYTES = "MAX_RECORD_BYTES";
    public static final String MAX_UNCOMPRESSED_BYTES = "MAX_UNCOMPRESSED_BYTES";
    public static final String MAX_ROW_GROUP_BYTES = "MAX_ROW_GROUP_BYTES";
    public static final String MAX_COMPRESSION_RATIO = "MAX_COMPRESSION_RATIO";
    public static final String MAX_CHUNKS_PER_JOB = "MAX_CHUNKS_PER_JOB";
    public static final String MAX_MODEL_BYTES = "MAX_MODEL_BYTES";
    public static final String PLANNING_QUEUE_URL = "PLANNING_QUEUE_URL";
    public static final String PLANNING_BUDGET_SECONDS = "PLANNING_BUDGET_SECONDS";
    public static final String PLANNING_BUDGET_BYTES = "PLANNING_BUDGET_BYTES";
    public static final String MAX_OUTPUT_PARTS = "MAX_OUTPUT_PARTS";
    public static final String PARQUET_MERGE_MAX_BYTES = "PARQUET_MERGE_MAX_BYTES";

    /** Every variable the functions read, for the template and the docs to agree with. */
    public static final java.util.List<String> NAMES = java.util.List.of(BUCKET, WORK_QUEUE_URL, RESULTS_QUEUE_URL,
            ENDPOINT, S3_ENDPOINT, SQS_ENDPOINT, REGION, CHUNK_MAX_ROWS, CHUNK_MAX_BYTES, INFERENCE_BATCH_ROWS, MODEL_CACHE_DIR,
            COLLATE_LEASE_SECONDS, STALLED_JOB_SECONDS, CSV_DELIMITER, OUTPUT_FORMAT, PARQUET_COMPRESSION, FEATURE_COLUMNS, PASS_THROUGH,
            MAX_REJECTED_PERCENT, MAX_REJECTED_ROWS, MAX_RECORD_BYTES, MAX_UNCOMPRESSED_BYTES, MAX_ROW_GROUP_BYTES,
            MAX_COMPRESSION_RATIO, MAX_CHUNKS_PER_JOB, MAX_MODEL_BYTES, COLLATE_MAX_ATTEMPTS,
            MAX_OUTPUT_PARTS, PARQUET_MERGE_MAX_BYTES,
            CostSettings.INGEST_MEMORY_MB, CostSettings.WORKER_MEMORY_MB, CostSettings.WRITER_MEMORY_MB,
            CostSettings.PRICE_ARM64_GB_SECOND, CostSettings.PRICE_X86_GB_SECOND, CostSettings.PRICE_LAMBDA_PER_MILLION,
            CostSettings.PRICE_SQS_PER_MILLION, CostSettings.PRICE_S3_WRITES_PER_THOUSAND,
            CostSettings.PRICE_S3_READS_PER_THOUSAND, PLANNING_QUEUE_URL, PLANNING_BUDGET_SECONDS,
            PLANNING_BUDGET_BYTES);

    public static final long DEFAULT_CHUNK_MAX_ROWS = ChunkLimits.DEFAULT_MAX_ROWS;
    public static final long DEFAULT_CHUNK_MAX_BYTES = ChunkLimits.DEFAULT_MAX_BYTES;
    public static final int DEFAULT_INFERENCE_BATCH_ROWS = 2048;
    /** Lambda's longest run: a collation lock older than this belongs to a writer that died. */
    public static final Duration DEFAULT_COLLATE_LEASE = Duration.ofMinutes(15);
    /**
     * How long a job may go without a chunk finishing before a scheduled run re-drives it (and, if that
     * changes nothing, ends it FAILED): longer than a chunk's retries can take (3 receives of the work
     * queue's 90-minute visibility timeout).
     */
    public static final Duration DEFAULT_STALLED_JOB_AFTER = Duration.ofHours(6);

    /**
     * How a deployment reads and writes data: the CSV delimiter (null: by extension, else detected from
     * the header), the output format (empty: the input's), Parquet compression, and the column choices.
     */
    public record DataSettings(Character delimiter, Optional<OutputFormat> outputFormat, String parquetCompression,
                               ColumnSelection columns) {
        public static DataSettings defaults() {
            return new DataSettings(null, Optional.empty(), "snappy", ColumnSelection.defaults());
        }

        static DataSettings from(Map<String, String> env) {
            String compression = env.getOrDefault(PARQUET_COMPRESSION, "snappy");
            Compression.parse(compression); // a bad value fails at start-up, not in the middle of a job
            return new DataSettings(delimiter(env.get(CSV_DELIMITER)), OutputFormat.parse(env.get(OUTPUT_FORMAT)),
                    compression, new ColumnSelection(ColumnSelection.parseFeatureColumns(env.get(FEATURE_COLUMNS)),
                    ColumnSelection.PassThrough.parse(env.get(PASS_THROUGH))));
        }

        private static Character delimiter(String setting) {
            if (setting == null || setting.isBlank() || setting.trim().equalsIgnoreCase("auto")) {
                return null;
            }
            return switch (setting.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "comma", "," -> ',';
                case "semicolon", ";" -> ';';
                case "tab", "\\t" -> '\t';
                case "pipe", "|" -> '|';
                default -> throw new IllegalStateException(
                        "CSV_DELIMITER must be auto, comma, semicolon, tab or pipe, was '" + setting + "'");
            };
        }
    }

    /**
     * What a deployment tolerates and allows: rejected rows (a percentage of the rows and/or a count,
     * like Step Functions' ToleratedFailurePercentage/Count; above either the job ends FAILED with
     * ERROR_THRESHOLD), and safety limits on inputs and models, so that a pathological file ends FAILED
     * with LIMIT_EXCEEDED within seconds instead of exhausting memory, disk or the function's time; and how
     * many times collating a job may fail before it ends FAILED with OUTPUT_WRITE_FAILED.
     */
    public record Limits(double maxRejectedPercent, long maxRejectedRows, long maxRecordBytes,
                         long maxUncompressedBytes, long maxRowGroupBytes, long maxCompressionRatio,
                         long maxChunksPerJob, long maxModelBytes, int maxCollateAttempts,
                         int maxOutputParts, long parquetMergeMaxBytes) {
        public static final double DEFAULT_MAX_REJECTED_PERCENT = 5.0;
        public static final long DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
        /**
         * 10 GiB: ingest expands a .csv.gz once and stages it back into the bucket within its 900 s, which
         * this leaves room for even at 15 MB/s; larger inputs belong in plain CSV or Parquet, read by range.
         */
        public static final long DEFAULT_MAX_UNCOMPRESSED_BYTES = 10L * 1024 * 1024 * 1024;
        public static final long DEFAULT_MAX_ROW_GROUP_BYTES = 512L * 1024 * 1024;
        /** Text CSV compresses 5 to 20 times; deflate cannot exceed about 1,032: past 1,000 is a bomb, not data. */
        public static final long DEFAULT_MAX_COMPRESSION_RATIO = 1000;
        /** Chunk tasks one job may send: with the default chunk size, 2 billion rows. */
        public static final long DEFAULT_MAX_CHUNKS_PER_JOB = 10_000;
        /** 256 MiB, as {@code ModelStore}'s own default: a worker holds the file in memory to load what it verified. */
        public static final long DEFAULT_MAX_MODEL_BYTES = 256L * 1024 * 1024;
        /**
         * Collations of one job that may fail (a write refused, a writer that did not finish) before the next ends
         * it OUTPUT_WRITE_FAILED: the SDK has already retried each request, and a results message comes back
         * only after the queue's visibility timeout (15 minutes on AWS), so three are 45 minutes of trying.
         */
        public static final int DEFAULT_MAX_COLLATE_ATTEMPTS = 3;
        /** S3's limit on the parts of one multipart upload: an output that would take more is written in part objects. */
        public static final int DEFAULT_MAX_OUTPUT_PARTS = 10_000;
        /**
         * 10 GiB: a Parquet output is merged by one writer, every byte read from the parts and written again within
         * one invocation (900 s); at 50 MB/s each way that is 215 s, leaving room for a slower store, and 1,280 parts
         * of the writer's 8 MiB, far below S3's 10,000. A larger output is written as the chunks' own part objects.
         */
        public static final long DEFAULT_PARQUET_MERGE_MAX_BYTES = 10L * 1024 * 1024 * 1024;

        /** The limits as before outputs could be written in part objects. */
        public Limits(double maxRejectedPercent, long maxRejectedRows, long maxRecordBytes, long maxUncompressedBytes,
                      long maxRowGroupBytes, long maxCompressionRatio, long maxChunksPerJob, long maxModelBytes,
                      int maxCollateAttempts) {
            this(maxRejectedPercent, maxRejectedRows, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, maxModelBytes, maxCollateAttempts, DEFAULT_MAX_OUTPUT_PARTS,
                    DEFAULT_PARQUET_MERGE_MAX_BYTES);
        }

        public Limits {
            if (maxOutputParts < 2) {
                throw new IllegalStateException(MAX_OUTPUT_PARTS + " must be at least 2 (a header and a part), was "
                        + maxOutputParts);
            }
        }

        /** The limits as before the compression ratio, chunk count and model size had their own. */
        public Limits(double maxRejectedPercent, long maxRejectedRows, long maxRecordBytes, long maxUncompressedBytes,
                      long maxRowGroupBytes) {
            this(maxRejectedPercent, maxRejectedRows, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_CHUNKS_PER_JOB, DEFAULT_MAX_MODEL_BYTES,
                    DEFAULT_MAX_COLLATE_ATTEMPTS);
        }

        public static Limits defaults() {
            return new Limits(DEFAULT_MAX_REJECTED_PERCENT, Long.MAX_VALUE, DEFAULT_MAX_RECORD_BYTES,
                    DEFAULT_MAX_UNCOMPRESSED_BYTES, DEFAULT_MAX_ROW_GROUP_BYTES);
        }

        /** Tolerates every rejected row: the job succeeds whatever the rows hold. */
        public Limits toleratingAllRejections() {
            return new Limits(100.0, Long.MAX_VALUE, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, maxModelBytes, maxCollateAttempts, maxOutputParts,
                    parquetMergeMaxBytes);
        }

        public Limits withMaxRecordBytes(long bytes) {
            return new Limits(maxRejectedPercent, maxRejectedRows, bytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, maxModelBytes, maxCollateAttempts, maxOutputParts,
                    parquetMergeMaxBytes);
        }

        public Limits withMaxUncompressedBytes(long bytes) {
            return new Limits(maxRejectedPercent, maxRejectedRows, maxRecordBytes, bytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, maxModelBytes, maxCollateAttempts, maxOutputParts,
                    parquetMergeMaxBytes);
        }

        public Limits withMaxChunksPerJob(long chunks) {
            return new Limits(maxRejectedPercent, maxRejectedRows, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, chunks, maxModelBytes, maxCollateAttempts, maxOutputParts, parquetMergeMaxBytes);
        }

        public Limits withMaxModelBytes(long bytes) {
            return new Limits(maxRejectedPercent, maxRejectedRows, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, bytes, maxCollateAttempts, maxOutputParts, parquetMergeMaxBytes);
        }

        public Limits withMaxCollateAttempts(int attempts) {
            return new Limits(maxRejectedPercent, maxRejectedRows, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, maxModelBytes, attempts, maxOutputParts, parquetMergeMaxBytes);
        }

        /** With outputs written in part objects past {@code parts} multipart parts or {@code parquetBytes} merged bytes. */
        public Limits withOutputLimits(int parts, long parquetBytes) {
            return new Limits(maxRejectedPercent, maxRejectedRows, maxRecordBytes, maxUncompressedBytes, maxRowGroupBytes,
                    maxCompressionRatio, maxChunksPerJob, maxModelBytes, maxCollateAttempts, parts, parquetBytes);
        }

        /** Whether {@code rejected} of {@code rows} rows is more than this deployment tolerates. */
        public boolean tooManyRejected(long rejected, long rows) {
            return rejected > maxRejectedRows || (rows > 0 && rejected * 100.0 / rows > maxRejectedPercent);
        }

        static Limits from(Map<String, String> env) {
            double percent = DEFAULT_MAX_REJECTED_PERCENT;
            String value = blankToNull(env.get(MAX_REJECTED_PERCENT));
            if (value != null) {
                try {
                    percent = Double.parseDouble(value.trim());
                } catch (NumberFormatException e) {
                    percent = -1;
                }
                if (!(percent >= 0 && percent <= 100)) {
                    throw new IllegalStateException(MAX_REJECTED_PERCENT + " must be a number from 0 to 100, was '"
                            + value + "'");
                }
            }
            String rows = blankToNull(env.get(MAX_REJECTED_ROWS));
            return new Limits(percent, rows == null ? Long.MAX_VALUE : count(env, MAX_REJECTED_ROWS),
                    number(env, MAX_RECORD_BYTES, DEFAULT_MAX_RECORD_BYTES),
                    number(env, MAX_UNCOMPRESSED_BYTES, DEFAULT_MAX_UNCOMPRESSED_BYTES),
                    number(env, MAX_ROW_GROUP_BYTES, DEFAULT_MAX_ROW_GROUP_BYTES),
                    number(env, MAX_COMPRESSION_RATIO, DEFAULT_MAX_COMPRESSION_RATIO),
                    number(env, MAX_CHUNKS_PER_JOB, DEFAULT_MAX_CHUNKS_PER_JOB),
                    number(env, MAX_MODEL_BYTES, DEFAULT_MAX_MODEL_BYTES),
                    (int) Math.min(Integer.MAX_VALUE, number(env, COLLATE_MAX_ATTEMPTS, DEFAULT_MAX_COLLATE_ATTEMPTS)),
                    (int) Math.min(Integer.MAX_VALUE, number(env, MAX_OUTPUT_PARTS, DEFAULT_MAX_OUTPUT_PARTS)),
                    number(env, PARQUET_MERGE_MAX_BYTES, DEFAULT_PARQUET_MERGE_MAX_BYTES));
        }

        private static long count(Map<String, String> env, String name) {
            String value = env.get(name).trim();
            try {
                long n = Long.parseLong(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalStateException(name + " must be a whole number of 0 or more, was '" + value + "'");
        }
    }

    /**
     * How much of an input one ingest invocation plans before it hands the rest over to the next, through the
     * planning queue: at the first chunk cut after {@code budget} has passed (or two thirds of the invocation's
     * remaining time, where Lambda says how much remains, if that is less), or after {@code budgetBytes} bytes
     * scanned. The byte budget is for tests and for inputs that must be planned in steps of a known size.
     */
    public record Planning(Duration budget, long budgetBytes) {
        /** Ten of ingest's fifteen minutes: the last chunk, the checkpoint and 10,000 chunk tasks fit in the rest. */
        public static final Duration DEFAULT_BUDGET = Duration.ofMinutes(10);

        public static Planning defaults() {
            return new Planning(DEFAULT_BUDGET, Long.MAX_VALUE);
        }

        /** The budget of an invocation starting now, with {@code remaining} time left before its timeout (null: unknown). */
        public ScanBudget start(Clock clock, Duration remaining) {
            Duration allowed = remaining == null || remaining.multipliedBy(2).dividedBy(3).compareTo(budget) >= 0
                    ? budget : remaining.multipliedBy(2).dividedBy(3);
            Instant deadline = clock.instant().plus(allowed);
            return bytesScanned -> bytesScanned >= budgetBytes || !clock.instant().isBefore(deadline);
        }

        static Planning from(Map<String, String> env) {
            return new Planning(Duration.ofSeconds(number(env, PLANNING_BUDGET_SECONDS, DEFAULT_BUDGET.toSeconds())),
                    number(env, PLANNING_BUDGET_BYTES, Long.MAX_VALUE));
        }
    }

    /** Static credentials, used when the environment names them (Lambda does, with a session token). */
    public record Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
        @Override
        public String toString() {
            return "Credentials[" + accessKeyId + ", ***]";
        }
    }

    public static PipelineConfig fromEnvironment() {
        return from(System.getenv());
    }

    public static PipelineConfig from(Map<String, String> env) {
        Optional<Credentials> credentials = Optional.ofNullable(env.get(ACCESS_KEY_ID))
                .filter(id -> env.get(SECRET_ACCESS_KEY) != null)
                .map(id -> new Credentials(id, env.get(SECRET_ACCESS_KEY), env.get(SESSION_TOKEN)));
        return new PipelineConfig(
                required(env, BUCKET),
                env.get(WORK_QUEUE_URL),
                env.get(RESULTS_QUEUE_URL),
                endpoint(env, S3_ENDPOINT),
                endpoint(env, SQS_ENDPOINT),
                env.getOrDefault(REGION, "us-east-1"),
                credentials,
                new ChunkLimits(number(env, CHUNK_MAX_ROWS, DEFAULT_CHUNK_MAX_ROWS),
                        number(env, CHUNK_MAX_BYTES, DEFAULT_CHUNK_MAX_BYTES)),
                (int) number(env, INFERENCE_BATCH_ROWS, DEFAULT_INFERENCE_BATCH_ROWS),
                Path.of(env.getOrDefault(MODEL_CACHE_DIR,
                        Path.of(System.getProperty("java.io.tmpdir"), "batch-inference-models").toString())),
                Duration.ofSeconds(number(env, COLLATE_LEASE_SECONDS, DEFAULT_COLLATE_LEASE.toSeconds())),
                Duration.ofSeconds(number(env, STALLED_JOB_SECONDS, DEFAULT_STALLED_JOB_AFTER.toSeconds())),
                DataSettings.from(env),
                Limits.from(env),
                CostSettings.from(env),
                blankToNull(env.get(PLANNING_QUEUE_URL)),
                Planning.from(env));
    }

    /** The planning queue, where ingest hands a job's planning over to its next invocation; empty: planning is never handed over. */
    public Optional<String> planningQueue() {
        return Optional.ofNullable(planningQueueUrl);
    }

    public String requireWorkQueueUrl() {
        return require(workQueueUrl, WORK_QUEUE_URL);
    }

    public String requireResultsQueueUrl() {
        return require(resultsQueueUrl, RESULTS_QUEUE_URL);
    }

    private static String require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }

    private static String required(Map<String, String> env, String name) {
        return require(env.get(name), name);
    }

    /** A service's own endpoint variable wins over the general one, as in the AWS SDKs. */
    private static Optional<URI> endpoint(Map<String, String> env, String serviceVariable) {
        String value = blankToNull(env.get(serviceVariable));
        if (value == null) {
            value = blankToNull(env.get(ENDPOINT));
        }
        return Optional.ofNullable(value).map(URI::create);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String value = blankToNull(env.get(name));
        if (value == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(value.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalStateException("environment variable " + name + " must be a positive whole number, was '"
                    + value + "'");
        }
    }
}
