package dev.batchinference.job;

import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * How the results writer tells that a job's last chunk is in with a constant number of requests per chunk, whatever
 * the job's size. Chunks are grouped by {@link #FANOUT} (chunks 0-99, 100-199, ...), those groups by FANOUT again, and
 * so on up to a single group, the root. Recording a chunk writes its done marker, then lists that chunk's group only
 * (at most FANOUT keys: one LIST request); when the group is whole, it writes the group's marker
 * ({@code jobs/<id>/groups/<level>/<index>.json}, If-None-Match) and looks at the group above in the same way. The job
 * is complete when the root is whole: per chunk, one PUT and one LIST, plus one in FANOUT for each level above.
 *
 * <p>Why a whole group is always seen: markers are only ever added; S3 lists every object written before the listing
 * began (strong read-after-write consistency); and each writer writes its marker before it lists. So whoever wrote a
 * group's last marker sees the group whole. A writer that dies on the way up leaves its message unacknowledged; the
 * delivery that follows climbs again from the bottom, finds the markers already written and goes on past them: a climb
 * never stops at a marker that exists, only at a group that is not yet whole.
 */
public final class CompletionGroups {
    /** Members per group: a power of ten, so that one key prefix lists a group's markers and nothing else. */
    public static final int FANOUT = 100;
    private static final byte[] WHOLE = "{}".getBytes(StandardCharsets.UTF_8);

    private final ObjectStore store;
    private final int fanout;
    private final int digits;

    public CompletionGroups(ObjectStore store) {
        this(store, FANOUT);
    }

    /** With another fanout (a power of ten from 10), for tests that want several levels from a few chunks. */
    public CompletionGroups(ObjectStore store, int fanout) {
        int digits = (int) Math.round(Math.log10(fanout));
        if (fanout < 10 || Math.pow(10, digits) != fanout) {
            throw new IllegalArgumentException("a completion group's fanout must be a power of ten from 10, was " + fanout);
        }
        this.store = store;
        this.fanout = fanout;
        this.digits = digits;
    }

    public int fanout() {
        return fanout;
    }

    /**
     * Records a finished chunk of a job of {@code chunks} chunks, once (a repeat leaves the first record in place), and
     * says whether every chunk of the job is now recorded.
     */
    public boolean record(String jobId, ChunkResult result, int chunks) {
        recordDone(jobId, result);
        return complete(jobId, result.chunk(), chunks);
    }

    /** Writes a chunk's done marker unless it has one; false if it had (the first record stays in place). */
    public boolean recordDone(String jobId, ChunkResult result) {
        return store.writeIfAbsent(JobKeys.done(jobId, result.chunk()), JsonCodec.writeBytes(result));
    }

    /**
     * Climbs from a recorded chunk as far as the groups above it are whole, writing the marker of each whole group that
     * has a group above it; true if it reached the root, whole: every chunk of the job is recorded.
     */
    public boolean complete(String jobId, int chunk, int chunks) {
        if (chunk < 0 || chunk >= chunks) {
            throw new IllegalArgumentException("job " + jobId + " has chunks 0 to " + (chunks - 1) + ", not " + chunk);
        }
        int level = 0;
        int index = chunk;
        int count = chunks;
        while (count > 1) {
            int group = index / fanout;
            int members = Math.min(fanout, count - group * fanout);
            if (present(jobId, level, group) < members) {
                return false;
            }
            int groups = (count + fanout - 1) / fanout;
            if (groups > 1) {
                store.writeIfAbsent(JobKeys.group(jobId, level + 1, group), WHOLE);
            }
            level++;
            index = group;
            count = groups;
        }
        return true;
    }

    /** How many members of a group have their marker: one listing of the group's own prefix. */
    private int present(String jobId, int level, int group) {
        String folder = level == 0 ? JobKeys.doneMarkers(jobId) : JobKeys.groups(jobId, level);
        // the prefix of a group's names is shared by longer names (000100 and 0001000 for 100-199): counted by index
        return (int) store.list(JobKeys.markerPrefix(folder, group * fanout, digits)).stream()
                .mapToInt(JobKeys::markerIndex)
                .filter(i -> i >= 0 && i / fanout == group)
                .distinct()
                .count();
    }

    /**
     * The last chunk of each group of chunks: a climb from each of them passes every group of the job, so re-sending
     * their results makes up for climbs that went missing (a results message lost), however the tree was left.
     */
    public List<Integer> lastOfEachGroup(int chunks) {
        List<Integer> last = new ArrayList<>();
        for (int first = 0; first < chunks; first += fanout) {
            last.add(Math.min(first + fanout, chunks) - 1);
        }
        return last;
    }
}
