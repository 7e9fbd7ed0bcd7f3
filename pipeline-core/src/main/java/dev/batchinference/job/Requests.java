package dev.batchinference.job;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * S3 and SQS requests, by operation, as the pipeline's storage and queue ports count them
 * ({@code dev.batchinference.metering.RequestCounts}): what a function did for a chunk or a job.
 */
public record Requests(@JsonProperty("s3.HeadObject") long s3HeadObject,
                       @JsonProperty("s3.GetObject") long s3GetObject,
                       @JsonProperty("s3.PutObject") long s3PutObject,
                       @JsonProperty("s3.ListObjectsV2") long s3ListObjectsV2,
                       @JsonProperty("s3.DeleteObject") long s3DeleteObject,
                       @JsonProperty("sqs.SendMessageBatch") long sqsSendMessageBatch) {
    public static final Requests NONE = new Requests(0, 0, 0, 0, 0, 0);

    /** These and {@code other} added up; null counts as none. */
    public Requests plus(Requests other) {
        return other == null ? this : new Requests(s3HeadObject + other.s3HeadObject, s3GetObject + other.s3GetObject,
                s3PutObject + other.s3PutObject, s3ListObjectsV2 + other.s3ListObjectsV2,
                s3DeleteObject + other.s3DeleteObject, sqsSendMessageBatch + other.sqsSendMessageBatch);
    }

    /** These less {@code other}: what was counted since {@code other} was taken. */
    public Requests minus(Requests other) {
        return other == null ? this : new Requests(s3HeadObject - other.s3HeadObject, s3GetObject - other.s3GetObject,
                s3PutObject - other.s3PutObject, s3ListObjectsV2 - other.s3ListObjectsV2,
                s3DeleteObject - other.s3DeleteObject, sqsSendMessageBatch - other.sqsSendMessageBatch);
    }

    /** One more PutObject: the request that carries these counts. */
    public Requests withOnePut() {
        return plus(new Requests(0, 0, 1, 0, 0, 0));
    }

    /** One more SendMessageBatch: the message that carries these counts. */
    public Requests withOneSend() {
        return plus(new Requests(0, 0, 0, 0, 0, 1));
    }

    /** All requests, whatever the operation. */
    public long total() {
        return s3HeadObject + s3GetObject + s3PutObject + s3ListObjectsV2 + s3DeleteObject + sqsSendMessageBatch;
    }
}
