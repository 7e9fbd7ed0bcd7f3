package dev.batchinference.format.parquet;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.io.OutputFile;

/**
 * Joins chunk parts (Parquet files of one schema) into one file by copying their row groups as they are:
 * nothing is decoded or re-compressed, and memory stays at one column chunk.
 */
public final class ParquetMerge implements AutoCloseable {
    private static final long ROW_GROUP_SIZE = 128L * 1024 * 1024;

    private final OutputFile target;
    private ParquetFileWriter writer;
    private java.util.Map<String, String> metadata;

    public ParquetMerge(OutputFile target) {
        this.target = target;
    }

    /** Appends a part's row groups; the first part fixes the schema and the file's metadata. */
    public void append(Path part) throws IOException {
        try (ParquetFileReader reader = ParquetSupport.open(ParquetSupport.localFile(part), ParquetSupport.readOptions())) {
            if (writer == null) {
                FileMetaData meta = reader.getFooter().getFileMetaData();
                metadata = meta.getKeyValueMetaData();
                writer = new ParquetFileWriter(target, meta.getSchema(), ParquetFileWriter.Mode.CREATE, ROW_GROUP_SIZE, 0);
                writer.start();
            }
            reader.appendTo(writer);
        }
    }

    @Override
    public void close() throws IOException {
        if (writer == null) {
            throw new IllegalStateException("no parts to merge");
        }
        writer.end(metadata);
    }
}
