package dev.batchinference.local.runtime;

import dev.batchinference.job.JobKeys;
import dev.batchinference.results.CollationLock;
import dev.batchinference.storage.ObjectStore;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At a restart, hands back the collation locks held by writers of a local runtime whose process has ended (a
 * {@code serve} stopped mid-collation by Ctrl-C, a crash or a kill), so that their jobs are collated again at
 * once rather than after the 900 s lease. Only on an S3 endpoint on this machine's loopback: any runtime that can
 * reach it runs here, so a process id names the same process for all of them. Elsewhere, and on AWS, a writer's
 * lease alone says when its lock may be taken over.
 */
final class StoppedWriters {
    private static final Logger LOG = LoggerFactory.getLogger(StoppedWriters.class);

    private StoppedWriters() {
    }

    /** The jobs whose locks were handed back. */
    static List<String> releaseLocks(ObjectStore store, URI s3Endpoint) {
        if (!onLoopback(s3Endpoint)) {
            return List.of();
        }
        List<String> released = store.list(JobKeys.JOBS).stream()
                .filter(key -> JobKeys.jobIdOf(key) != null && key.equals(JobKeys.collateLock(JobKeys.jobIdOf(key))))
                .map(JobKeys::jobIdOf)
                .filter(jobId -> CollationLock.releaseAbandoned(store, jobId, LocalWriterIds::ofAnEndedProcess,
                        "stopped with its process before it finished; released when the local runtime started again"))
                .toList();
        released.forEach(jobId -> LOG.info("job {}: handed back the collation lock of a writer whose process has ended",
                jobId));
        return released;
    }

    private static boolean onLoopback(URI endpoint) {
        try {
            return endpoint.getHost() != null && InetAddress.getByName(endpoint.getHost()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
