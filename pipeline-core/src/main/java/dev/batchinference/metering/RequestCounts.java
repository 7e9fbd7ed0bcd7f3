package dev.batchinference.metering;

import dev.batchinference.job.Requests;

/**
 * Counts the S3 and SQS requests one piece of work makes, as {@link CountingObjectStore} and
 * {@link CountingMessageSender} report them. The cores open a tally around each message they
 * handle, on the thread that handles it; requests made with no tally open (a status query, a sweep) are not counted.
 */
public final class RequestCounts {
    private static final ThreadLocal<Tally> CURRENT = new ThreadLocal<>();

    /** The operations counted, by their names in S3's and SQS's APIs. */
    public enum Operation { HEAD_OBJECT, GET_OBJECT, PUT_OBJECT, LIST_OBJECTS_V2, DELETE_OBJECT, SEND_MESSAGE_BATCH }

    private RequestCounts() {
    }

    /** Counts {@code n} requests of {@code operation} against the tally open on this thread, if any. */
    public static void count(Operation operation, long n) {
        Tally tally = CURRENT.get();
        if (tally != null) {
            tally.counts[operation.ordinal()] += n;
        }
    }

    /** The tally open on this thread, if any: null when requests are not being counted. */
    public static Tally current() {
        return CURRENT.get();
    }

    /** Opens a tally on this thread; the tally it replaces comes back when this one is closed. */
    public static Tally open() {
        Tally tally = new Tally(CURRENT.get());
        CURRENT.set(tally);
        return tally;
    }

    /** The requests of what was done on one thread since the tally was opened. */
    public static final class Tally implements AutoCloseable {
        private final Tally outer;
        private final long[] counts = new long[Operation.values().length];
        private Requests settled = Requests.NONE;
        private boolean closed;

        private Tally(Tally outer) {
            this.outer = outer;
        }

        /** What was counted so far. */
        public Requests requests() {
            return new Requests(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
        }

        /**
         * Marks {@code requests} as recorded somewhere (a marker or a message that carries them): {@link #unsettled}
         * leaves them out from now on.
         */
        public void settle(Requests requests) {
            settled = settled.plus(requests);
        }

        /** What was counted and not yet {@link #settle settled}. */
        public Requests unsettled() {
            return requests().minus(settled);
        }

        /** Stops counting on this thread; what was counted here is not added to the tally this one replaced. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (outer == null) {
                    CURRENT.remove();
                } else {
                    CURRENT.set(outer);
                }
            }
        }
    }
}
