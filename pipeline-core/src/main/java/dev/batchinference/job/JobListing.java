package dev.batchinference.job;

import dev.batchinference.storage.ObjectStore.StoredObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a listing of {@code jobs/} shows about one job without reading any object: when it was planned,
 * whether its tasks went out, whether it ended, how many chunks are done and when the last finished, and
 * its re-drives. Only jobs with a plan are listed.
 */
public record JobListing(String jobId, Instant plannedAt, boolean dispatched, boolean ended, int chunksDone,
                         Instant lastChunkDoneAt, int redrives, Instant lastRedriveAt) {

    /** One entry per planned job, in the listing's (key) order. */
    public static List<JobListing> of(List<StoredObject> objectsUnderJobs) {
        Map<String, Builder> jobs = new LinkedHashMap<>();
        for (StoredObject o : objectsUnderJobs) {
            String jobId = JobKeys.jobIdOf(o.key());
            if (jobId != null) {
                jobs.computeIfAbsent(jobId, Builder::new).add(o);
            }
        }
        return jobs.values().stream().filter(b -> b.plannedAt != null).map(Builder::build).toList();
    }

    /** The later of its planning and its last finished chunk: when the job last moved. */
    public Instant lastProgressAt() {
        return lastChunkDoneAt != null && lastChunkDoneAt.isAfter(plannedAt) ? lastChunkDoneAt : plannedAt;
    }

    /** True if the job was re-driven after it last moved. */
    public boolean redrivenSinceProgress() {
        return lastRedriveAt != null && lastRedriveAt.isAfter(lastProgressAt());
    }

    private static final class Builder {
        private final String jobId;
        private Instant plannedAt;
        private boolean dispatched;
        private boolean ended;
        private int chunksDone;
        private Instant lastChunkDoneAt;
        private int redrives;
        private Instant lastRedriveAt;

        Builder(String jobId) {
            this.jobId = jobId;
        }

        void add(StoredObject o) {
            String key = o.key();
            // only finished objects: some stores list an object being written under a temporary name too
            if (key.equals(JobKeys.plan(jobId))) {
                plannedAt = o.lastModified();
            } else if (key.equals(JobKeys.dispatched(jobId))) {
                dispatched = true;
            } else if (key.equals(JobKeys.terminal(jobId))) {
                ended = true;
            } else if (key.startsWith(JobKeys.doneMarkers(jobId)) && key.endsWith(".json")) {
                chunksDone++;
                lastChunkDoneAt = later(lastChunkDoneAt, o.lastModified());
            } else if (key.startsWith(JobKeys.redrives(jobId)) && key.endsWith(".json")) {
                redrives++;
                lastRedriveAt = later(lastRedriveAt, redriveTime(key, o.lastModified()));
            }
        }

        JobListing build() {
            return new JobListing(jobId, plannedAt, dispatched, ended, chunksDone, lastChunkDoneAt, redrives, lastRedriveAt);
        }

        /** The time a redrive's key is named after: the clock of whoever re-drove it; else when it was written. */
        private Instant redriveTime(String key, Instant written) {
            String millis = key.substring(JobKeys.redrives(jobId).length(), key.length() - ".json".length());
            try {
                return Instant.ofEpochMilli(Long.parseLong(millis));
            } catch (NumberFormatException notOurs) {
                return written;
            }
        }

        private static Instant later(Instant a, Instant b) {
            return a == null || (b != null && b.isAfter(a)) ? b : a;
        }
    }
}
