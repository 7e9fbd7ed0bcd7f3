package dev.batchinference.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.metering.RequestCounts;
import dev.batchinference.metering.CountingObjectStore;
import dev.batchinference.storage.InMemoryObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The completion groups: the last chunk in, and only it, finds the job complete, with a few requests each time. */
class CompletionGroupsTest {
    private static final String JOB = "0123456789abcdef0123";

    private final InMemoryObjectStore raw = new InMemoryObjectStore();
    private final CompletionGroups groups = new CompletionGroups(new CountingObjectStore(raw), 10);

    private static ChunkResult result(int chunk) {
        return new ChunkResult(chunk, 1, 1, 0, 0, 0, 0);
    }

    @Test
    void onlyTheLastChunkInFindsTheJobCompleteInAnyOrderWithBoundedRequestsEach() {
        int chunks = 250; // groups of 10: 25 groups, 3 groups of those, one root
        List<Integer> order = new ArrayList<>(IntStream.range(0, chunks).boxed().toList());
        Collections.shuffle(order, new Random(7));
        List<Integer> complete = new ArrayList<>();
        long lists = 0;
        for (int i = 0; i < chunks; i++) {
            Requests counts;
            boolean done;
            try (RequestCounts.Tally tally = RequestCounts.open()) {
                done = groups.record(JOB, result(order.get(i)), chunks);
                counts = tally.requests();
            }
            if (done) {
                complete.add(i);
            }
            // one listing of the chunk's own group, and one more per level it completes: never the whole job
            assertThat(counts.s3ListObjectsV2()).isBetween(1L, 3L);
            assertThat(counts.s3PutObject()).isBetween(1L, 3L);
            assertThat(counts.total()).isEqualTo(counts.s3ListObjectsV2() + counts.s3PutObject());
            lists += counts.s3ListObjectsV2();
        }
        assertThat(complete).containsExactly(chunks - 1);
        assertThat(lists).isEqualTo(chunks + 25 + 3);
        assertThat(raw.list(JobKeys.groups(JOB, 1))).hasSize(25);
        assertThat(raw.list(JobKeys.groups(JOB, 2))).hasSize(3);
        assertThat(raw.list("jobs/" + JOB + "/groups/3/")).isEmpty(); // the root needs no marker: nothing lists it
        assertThat(groups.record(JOB, result(17), chunks)).as("a repeat after the end finds it complete again").isTrue();
    }

    @Test
    void aClimbThatWentMissingIsMadeUpByTheLastChunkOfEachGroup() {
        int chunks = 250;
        // every chunk recorded, but the writers died before they looked at any group
        for (int chunk = 0; chunk < chunks; chunk++) {
            raw.writeIfAbsent(JobKeys.done(JOB, chunk), "{}".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(groups.record(JOB, result(249), chunks)).isFalse();
        List<Integer> last = groups.lastOfEachGroup(chunks);
        assertThat(last).hasSize(25).startsWith(9, 19).endsWith(249);
        boolean complete = false;
        for (int chunk : last) {
            complete = groups.record(JOB, result(chunk), chunks);
        }
        assertThat(complete).isTrue();
    }

    @Test
    void markersOfOtherGroupsAndUnfinishedObjectsAreNotCounted() {
        int chunks = 12;
        for (int chunk = 0; chunk < 9; chunk++) {
            groups.record(JOB, result(chunk), chunks);
        }
        // an object being written, listed under a temporary name, and a chunk of the next group
        raw.write(JobKeys.doneMarkers(JOB) + "000009.json.tmp-upload", new byte[0]);
        groups.record(JOB, result(10), chunks);
        assertThat(groups.record(JOB, result(11), chunks)).isFalse();
        assertThat(groups.record(JOB, result(9), chunks)).isTrue();
    }

    @Test
    void aSingleChunkJobIsCompleteWithItsOnlyChunk() {
        assertThat(groups.record(JOB, result(0), 1)).isTrue();
        assertThat(raw.list("jobs/" + JOB + "/groups/")).isEmpty();
    }

    @Test
    void markerKeysNameTheirIndexAndGroupPrefixesCoverExactlyAGroup() {
        assertThat(JobKeys.group(JOB, 1, 12)).isEqualTo("jobs/" + JOB + "/groups/1/000012.json");
        assertThat(JobKeys.markerIndex(JobKeys.done(JOB, 123))).isEqualTo(123);
        assertThat(JobKeys.markerIndex(JobKeys.done(JOB, 123) + ".tmp")).isEqualTo(-1);
        assertThat(JobKeys.markerPrefix(JobKeys.doneMarkers(JOB), 100, 2)).isEqualTo(JobKeys.doneMarkers(JOB) + "0001");
        assertThat(JobKeys.done(JOB, 199)).startsWith(JobKeys.markerPrefix(JobKeys.doneMarkers(JOB), 100, 2));
        assertThat(JobKeys.done(JOB, 200)).doesNotStartWith(JobKeys.markerPrefix(JobKeys.doneMarkers(JOB), 100, 2));
    }
}
