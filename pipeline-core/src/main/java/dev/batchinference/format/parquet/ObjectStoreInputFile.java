package dev.batchinference.format.parquet;

import dev.batchinference.storage.ObjectStore;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/**
 * A Parquet {@link InputFile} over one pinned object version, read with ranged GETs: the footer and the
 * column chunks a reader asks for, never the whole object. Small reads go through a 64 KiB window.
 */
public final class ObjectStoreInputFile implements InputFile {
    private static final int WINDOW = 64 * 1024;

    private final ObjectStore store;
    private final String key;
    private final String etag;
    private final long length;

    public ObjectStoreInputFile(ObjectStore store, String key, String etag, long length) {
        this.store = store;
        this.key = key;
        this.etag = etag;
        this.length = length;
    }

    @Override
    public long getLength() {
        return length;
    }

    @Override
    public SeekableInputStream newStream() {
        return new RangedStream();
    }

    /** The key: parquet-java names the file by this in its messages. */
    @Override
    public String toString() {
        return key;
    }

    private final class RangedStream extends SeekableInputStream {
        private long position;
        private byte[] window = new byte[0];
        private long windowStart;

        @Override
        public long getPos() {
            return position;
        }

        @Override
        public void seek(long newPosition) {
            position = newPosition;
        }

        @Override
        public int read() throws IOException {
            if (position >= length) {
                return -1;
            }
            fillWindow();
            return window[(int) (position++ - windowStart)] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (position >= length) {
                return -1;
            }
            fillWindow();
            int n = (int) Math.min(len, windowStart + window.length - position);
            System.arraycopy(window, (int) (position - windowStart), b, off, n);
            position += n;
            return n;
        }

        @Override
        public int read(ByteBuffer buf) throws IOException {
            int len = buf.remaining();
            if (len == 0) {
                return 0;
            }
            byte[] bytes = new byte[len];
            int n = read(bytes, 0, len);
            if (n > 0) {
                buf.put(bytes, 0, n);
            }
            return n;
        }

        @Override
        public void readFully(byte[] bytes) throws IOException {
            readFully(bytes, 0, bytes.length);
        }

        @Override
        public void readFully(byte[] bytes, int start, int len) throws IOException {
            if (position + len > length) {
                throw new EOFException("read of " + len + " bytes at " + position + " passes the end of " + key
                        + " (" + length + " bytes)");
            }
            // large reads (column chunks) fetch exactly their range
            try (InputStream in = store.read(key, etag, position, position + len)) {
                int done = 0;
                while (done < len) {
                    int n = in.read(bytes, start + done, len - done);
                    if (n < 0) {
                        throw new EOFException("object " + key + " ended early at " + (position + done));
                    }
                    done += n;
                }
            }
            position += len;
        }

        @Override
        public void readFully(ByteBuffer buf) throws IOException {
            byte[] bytes = new byte[buf.remaining()];
            readFully(bytes, 0, bytes.length);
            buf.put(bytes);
        }

        private void fillWindow() throws IOException {
            if (position >= windowStart && position < windowStart + window.length) {
                return;
            }
            int size = (int) Math.min(WINDOW, length - position);
            byte[] bytes = new byte[size];
            long at = position;
            readFully(bytes, 0, size);
            position = at;
            window = bytes;
            windowStart = at;
        }
    }
}
