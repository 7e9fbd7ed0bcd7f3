package dev.batchinference.format;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * A gzip stream's expanded bytes, ending LIMIT_EXCEEDED as soon as they pass either limit: the total
 * (MAX_UNCOMPRESSED_BYTES), or the ratio of expanded to compressed bytes (MAX_COMPRESSION_RATIO), checked
 * from the first MiB on. A bomb (a few MiB that expand to gigabytes) is stopped after a MiB or so of output,
 * in well under a second, whatever its final size.
 */
public final class BoundedGzipInputStream extends GZIPInputStream {
    private static final long RATIO_CHECKED_FROM = 1024 * 1024;

    private final CountingInputStream compressed;
    private final long maxBytes;
    private final long maxRatio;
    private long expanded;

    private BoundedGzipInputStream(CountingInputStream compressed, long maxBytes, long maxRatio) throws IOException {
        super(compressed, 64 * 1024);
        this.compressed = compressed;
        this.maxBytes = maxBytes;
        this.maxRatio = maxRatio;
    }

    public static InputStream of(InputStream gzip, long maxBytes, long maxRatio) throws IOException {
        return new BoundedGzipInputStream(new CountingInputStream(gzip), maxBytes, maxRatio);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            expanded += n;
            check();
        }
        return n;
    }

    private void check() {
        if (expanded > maxBytes) {
            throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "the input expands to more than " + maxBytes
                    + " bytes (MAX_UNCOMPRESSED_BYTES)");
        }
        // the compressed bytes the inflater has taken so far: those read, less those still in its buffer
        long consumed = Math.max(1, compressed.count - inf.getRemaining());
        if (expanded > RATIO_CHECKED_FROM && expanded / consumed > maxRatio) {
            throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "the input expands more than " + maxRatio
                    + " times its compressed size (" + expanded + " bytes from " + consumed
                    + "; MAX_COMPRESSION_RATIO): a gzip bomb, or data too repetitive to be worth predicting");
        }
    }

    /** Counts the compressed bytes read. */
    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
