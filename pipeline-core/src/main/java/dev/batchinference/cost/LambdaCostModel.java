package dev.batchinference.cost;

import java.util.List;

/**
 * What a job would cost on Lambda and how long it would take: GB-seconds per function, requests to Lambda,
 * SQS and S3, dollars on arm64 and x86_64 at list prices, and wall time at a given worker concurrency. An
 * estimate from a few rates (the worker's rows per second above all), not a measurement: every figure is a
 * plain function of the job's shape and these settings, so a user can check it by hand.
 */
public record LambdaCostModel(Prices prices, Memory memory, Rates rates) {

    /** List prices in US dollars (us-east-1, December 2026); check them for your region. */
    public record Prices(double arm64GbSecond, double x86GbSecond, double lambdaPerMillionRequests,
                         double sqsPerMillionRequests, double s3WritesPerThousand, double s3ReadsPerThousand) {
        public static Prices listed() {
            return new Prices(0.0000133334, 0.0000166667, 0.20, 0.40, 0.005, 0.0004);
        }
    }

    /** Each function's memory in MB: the SAM template's defaults unless a deployment sets others. */
    public record Memory(int ingestMb, int workerMb, int writerMb) {
        public static Memory templateDefaults() {
            return new Memory(1024, 2048, 1024);
        }
    }

    /**
     * How fast each function works: the worker's rows per second once warm and in the first chunk of a new execution
     * environment, ingest's planning pass in bytes per second (a Parquet input is planned from its footer: no bytes
     * scanned), the writer's collation in output bytes per second, and what every invocation costs besides (start,
     * S3 and SQS round trips).
     */
    public record Rates(double workerRowsPerSecond, double firstChunkRowsPerSecond, double planBytesPerSecond,
                        double collateBytesPerSecond, double secondsPerInvocation) {
        /** Planning and collation at 100 MB/s and 0.2 s per invocation: assumptions, not measured on Lambda. */
        public static Rates assuming(double workerRowsPerSecond) {
            return assuming(workerRowsPerSecond, workerRowsPerSecond);
        }

        /** As above, with a new environment's first chunk slower (a fresh JVM compiles as it goes). */
        public static Rates assuming(double workerRowsPerSecond, double firstChunkRowsPerSecond) {
            return new Rates(workerRowsPerSecond, firstChunkRowsPerSecond, 100e6, 100e6, 0.2);
        }
    }

    /** A job's shape: rows, the bytes ingest scans, the output's bytes, and its chunks. */
    public record Job(long rows, long scannedBytes, long outputBytes, int chunks) {
    }

    /** One function's share: invocations, billed seconds and GB-seconds. */
    public record FunctionCost(String function, int memoryMb, long invocations, double seconds, double gbSeconds) {
    }

    /** The estimate for a job: per function, requests, dollars on either architecture, and wall time. */
    public record Estimate(List<FunctionCost> functions, double gbSeconds, long lambdaRequests, long sqsRequests,
                           long s3Writes, long s3Reads, double requestDollars, double arm64Dollars, double x86Dollars,
                           int concurrency, double wallSeconds) {
    }

    /*
     * Requests per job and per chunk, from the counts every summary.json records (docs/scale.md, "Requests per
     * chunk"). S3 writes are what S3 bills at the PUT rate (PUT, LIST): ingest's plan and dispatch marker and
     * the writer's lock, output, summary and end per job; a part, a done marker and a group listing per chunk.
     * S3 reads (GET, HEAD): ingest's six and each worker environment's plan and model per job; per chunk the
     * worker's HEAD and range, the writer's record and part.
     */
    static final int S3_WRITES_PER_JOB = 6;
    static final int S3_WRITES_PER_CHUNK = 3;
    static final int S3_READS_PER_JOB = 8;
    static final int S3_READS_PER_CHUNK = 4;
    /** SQS requests per chunk: its result sent, its task received and deleted (the work queue's batch size is 1). */
    static final int SQS_REQUESTS_PER_CHUNK = 3;
    /** SQS requests per ten chunks: the tasks sent in one batch, the results received and deleted in one batch each. */
    static final int SQS_REQUESTS_PER_TEN_CHUNKS = 3;

    public static LambdaCostModel withDefaults(double workerRowsPerSecond) {
        return new LambdaCostModel(Prices.listed(), Memory.templateDefaults(), Rates.assuming(workerRowsPerSecond));
    }

    /**
     * The job with {@code concurrency} worker environments at once: the first chunk of each environment at the
     * first-chunk rate, the rest at the warm rate, in waves of {@code concurrency} chunks.
     */
    public Estimate estimate(Job job, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
        }
        int chunks = Math.max(1, job.chunks());
        double ingestSeconds = rates.secondsPerInvocation() + job.scannedBytes() / rates.planBytesPerSecond();
        double rowsPerChunk = (double) job.rows() / chunks;
        double firstChunkSeconds = rates.secondsPerInvocation() + rowsPerChunk / rates.firstChunkRowsPerSecond();
        double warmChunkSeconds = rates.secondsPerInvocation() + rowsPerChunk / rates.workerRowsPerSecond();
        int environments = Math.min(chunks, concurrency);
        double workerSeconds = environments * firstChunkSeconds + (chunks - environments) * warmChunkSeconds;
        // one writer invocation per chunk's result; the last one collates the output
        double collateSeconds = job.outputBytes() / rates.collateBytesPerSecond();
        double writerSeconds = rates.secondsPerInvocation() * chunks + collateSeconds;
        List<FunctionCost> functions = List.of(
                function("ingest-trigger", memory.ingestMb(), 1, ingestSeconds),
                function("batch-worker", memory.workerMb(), chunks, workerSeconds),
                function("results-writer", memory.writerMb(), chunks, writerSeconds));
        double gbSeconds = functions.stream().mapToDouble(FunctionCost::gbSeconds).sum();
        long lambdaRequests = functions.stream().mapToLong(FunctionCost::invocations).sum();
        long sqsRequests = (long) SQS_REQUESTS_PER_CHUNK * chunks + SQS_REQUESTS_PER_TEN_CHUNKS * ((chunks + 9L) / 10);
        long s3Writes = S3_WRITES_PER_JOB + (long) S3_WRITES_PER_CHUNK * chunks;
        long s3Reads = S3_READS_PER_JOB + (long) S3_READS_PER_CHUNK * chunks;
        double requestDollars = lambdaRequests * prices.lambdaPerMillionRequests() / 1e6
                + sqsRequests * prices.sqsPerMillionRequests() / 1e6
                + s3Writes * prices.s3WritesPerThousand() / 1e3 + s3Reads * prices.s3ReadsPerThousand() / 1e3;
        long waves = (chunks + concurrency - 1) / concurrency;
        double wallSeconds = ingestSeconds + firstChunkSeconds + (waves - 1) * warmChunkSeconds
                + rates.secondsPerInvocation() + collateSeconds;
        return new Estimate(functions, gbSeconds, lambdaRequests, sqsRequests, s3Writes, s3Reads, requestDollars,
                gbSeconds * prices.arm64GbSecond() + requestDollars, gbSeconds * prices.x86GbSecond() + requestDollars,
                concurrency, wallSeconds);
    }

    private static FunctionCost function(String name, int memoryMb, long invocations, double seconds) {
        return new FunctionCost(name, memoryMb, invocations, seconds, seconds * memoryMb / 1024.0);
    }
}
