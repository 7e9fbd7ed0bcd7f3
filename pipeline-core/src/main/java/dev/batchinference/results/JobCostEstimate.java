package dev.batchinference.results;

import dev.batchinference.cost.CostSettings;
import dev.batchinference.cost.JobCost;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.Requests;
import java.util.List;
import java.util.Optional;

/**
 * The summary's {@code cost}: what the job would cost on Lambda, from the times it measured and the requests it
 * counted, with what could not be measured from inside the job assumed, and said so in the estimate's basis.
 */
final class JobCostEstimate {
    /** The writer's time for one result (a done marker and its group's listing): two S3 round trips and some. */
    static final double WRITER_SECONDS_PER_RESULT = 0.1;

    static final String BASIS = "An estimate of what this job costs on AWS Lambda at the configured prices"
            + " (PRICE_* settings, list prices by default), not a bill. Measured: ingest's time, each chunk's time in"
            + " the worker, the collation's time, and the S3 and SQS requests in 'requests'. Assumed: "
            + WRITER_SECONDS_PER_RESULT + " s of writer time and one writer invocation per result (the results queue"
            + " delivers up to 10 at once, so there may be fewer), a receive and a delete per queue message, no"
            + " Lambda start-up time. Times measured outside Lambda (./pipeline run) are the local machine's.";

    private JobCostEstimate() {
    }

    /**
     * @param results the results messages the job had: its chunks' results, or the one of a job rejected at ingest
     */
    static JobCost of(JobSummary.RequestsByFunction requests, List<ChunkResult> chunks, int results,
                      Optional<JobStore.Dispatched> dispatched, long collateMs, CostSettings settings) {
        Long ingestMs = dispatched.map(JobStore.Dispatched::ingestMs).orElse(null);
        double workerSeconds = chunks.stream().mapToLong(ChunkResult::totalMs).sum() / 1000.0;
        double writerSeconds = collateMs / 1000.0 + results * WRITER_SECONDS_PER_RESULT;
        Requests all = Requests.NONE;
        if (requests != null) {
            all = all.plus(requests.ingestTrigger()).plus(requests.batchWorker()).plus(requests.resultsWriter());
        }
        // the event sources: each task and each result received and deleted once
        long sqs = all.sqsSendMessageBatch() + 2L * chunks.size() + 2L * results;
        long s3Writes = all.s3PutObject() + all.s3ListObjectsV2();
        long s3Reads = all.s3GetObject() + all.s3HeadObject();
        return JobCost.of(BASIS,
                new JobCost.Use("ingest-trigger", 1, ingestMs == null ? 0 : ingestMs / 1000.0),
                new JobCost.Use("batch-worker", chunks.size(), workerSeconds),
                new JobCost.Use("results-writer", results, writerSeconds),
                sqs, s3Writes, s3Reads, settings);
    }
}
