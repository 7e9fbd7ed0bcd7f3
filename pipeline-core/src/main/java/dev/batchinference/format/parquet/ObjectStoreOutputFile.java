package dev.batchinference.format.parquet;

import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/** A Parquet {@link OutputFile} that streams into an object (a multipart upload for large files). */
public final class ObjectStoreOutputFile implements OutputFile {
    private final ObjectStore store;
    private final String key;

    public ObjectStoreOutputFile(ObjectStore store, String key) {
        this.store = store;
        this.key = key;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) {
        ObjectStore.AbortableOutputStream out = store.create(key);
        return new PositionOutputStream() {
            private long position;

            @Override
            public long getPos() {
                return position;
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                position++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                position += len;
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
        return create(blockSizeHint);
    }

    @Override
    public boolean supportsBlockSize() {
        return false;
    }

    @Override
    public long defaultBlockSize() {
        return 0;
    }

    @Override
    public String getPath() {
        return key;
    }
}
