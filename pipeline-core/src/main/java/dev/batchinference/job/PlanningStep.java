package dev.batchinference.job;

import dev.batchinference.format.ResumePoint;
import java.time.Instant;

/**
 * A checkpoint of a job's planning, {@code jobs/<jobId>/steps/<step>.json}, written once (with If-None-Match) by the
 * invocation that planned up to it: the plan so far (the pinned input and model version, the layout read from the
 * header, the chunks cut, numbered from 0), the record boundary the next invocation resumes at ({@code offset}, in
 * the uncompressed text of a gzip'd input), the data records counted before it, where the data starts, and the
 * requests ingest made for the job up to and including this write and its invocations' time until then. Step {@code n} is written by whoever planned
 * the n-th stretch of the input; writing it is what entitles that invocation to hand the next stretch over.
 */
public record PlanningStep(String jobId, int step, JobPlan plan, long dataStart, long offset, long records,
                           Requests requests, long ingestMs, Instant writtenAt) {

    /** Where the next invocation resumes. */
    public ResumePoint resumePoint() {
        return new ResumePoint(plan.layout().columns(), plan.layout().delimiter(), dataStart, offset, records,
                plan.chunks());
    }
}
