package dev.batchinference.format.parquet;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Plans a Parquet input from its footer alone (a few ranged reads): its columns, its schema, and chunks
 * of whole row groups. A chunk is the byte range from its first row group's start to the next chunk's;
 * Parquet readers given that range read exactly those row groups (they select by each group's midpoint).
 */
public final class ParquetPlanner {
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private final ChunkLimits limits;
    private final long maxRowGroupBytes;

    /** @param maxRowGroupBytes the largest row group (compressed) a worker is asked to hold */
    public ParquetPlanner(ChunkLimits limits, long maxRowGroupBytes) {
        this.limits = limits;
        this.maxRowGroupBytes = maxRowGroupBytes;
    }

    /** Top-level columns in file order, the file's schema, and the chunks. */
    public record ParquetPlan(List<String> columns, MessageType schema, List<ChunkRange> chunks, long rows) {
    }

    public ParquetPlan plan(InputFile file) {
        long length;
        try {
            length = file.getLength();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        checkMagic(file, length);
        ParquetMetadata footer;
        try (ParquetFileReader reader = ParquetSupport.open(file, ParquetSupport.readOptions())) {
            footer = reader.getFooter();
        } catch (IOException | RuntimeException e) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "not a readable Parquet file ("
                    + length + " bytes): " + withoutFileBytes(e.getMessage()));
        }
        MessageType schema = footer.getFileMetaData().getSchema();
        List<String> columns = schema.getFields().stream().map(Type::getName).toList();
        List<BlockMetaData> groups = footer.getBlocks();
        List<ChunkRange> chunks = new ArrayList<>();
        long rows = 0;
        int first = 0;
        long chunkRows = 0;
        long chunkBytes = 0;
        for (int g = 0; g < groups.size(); g++) {
            for (var column : groups.get(g).getColumns()) {
                if (!ParquetCodecs.READABLE.contains(column.getCodec())) {
                    throw new PipelineException(FailureReason.UNSUPPORTED_FORMAT, "column "
                            + String.join(".", column.getPath().toArray()) + " is compressed with " + column.getCodec()
                            + ", which the pipeline cannot read: write the file with " + ParquetCodecs.READABLE);
                }
            }
            if (groups.get(g).getCompressedSize() > maxRowGroupBytes) {
                throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "row group " + g + " holds "
                        + groups.get(g).getCompressedSize() + " bytes, more than " + maxRowGroupBytes
                        + " (MAX_ROW_GROUP_BYTES); write the file with smaller row groups");
            }
            chunkRows += groups.get(g).getRowCount();
            chunkBytes += groups.get(g).getCompressedSize();
            rows += groups.get(g).getRowCount();
            boolean last = g == groups.size() - 1;
            if (last || chunkRows >= limits.maxRows() || chunkBytes >= limits.maxBytes()) {
                long end = last ? length : groups.get(g + 1).getStartingPos();
                chunks.add(new ChunkRange(chunks.size(), groups.get(first).getStartingPos(), end, chunkRows));
                first = g + 1;
                chunkRows = 0;
                chunkBytes = 0;
            }
        }
        if (chunks.isEmpty()) {
            // no row groups: one empty chunk, so the job still produces its (empty) output
            chunks.add(new ChunkRange(0, 0, 0, 0L));
        }
        return new ParquetPlan(columns, schema, chunks, rows);
    }

    /**
     * parquet-java's message without the bytes it quotes from the file ("... but found [49, 50, 10, 51]"):
     * in a file that is not Parquet they are row data, which stays out of messages.
     */
    static String withoutFileBytes(String message) {
        String text = String.valueOf(message);
        int found = text.indexOf(" but found ");
        return found < 0 ? text : text.substring(0, found).replaceAll(",$", "") + " (not a Parquet file?)";
    }

    /**
     * A Parquet file begins and ends with the magic number {@code PAR1}, with its footer between the second and
     * the data. Checked here, first, so that a file of another kind named {@code .parquet} (a CSV renamed, an
     * upload cut short) fails with a message that names it and says what it is not; parquet-java's own would
     * quote the file's last bytes, which can be row data.
     */
    private static void checkMagic(InputFile file, long length) {
        String name = nameOf(file);
        if (length < MAGIC.length * 2 + 4) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, name + " is not a Parquet file: it has " + length
                    + " bytes, and the smallest Parquet file has " + (MAGIC.length * 2 + 4));
        }
        try (SeekableInputStream in = file.newStream()) {
            byte[] tail = new byte[MAGIC.length];
            in.seek(length - MAGIC.length);
            in.readFully(tail);
            if (Arrays.equals(tail, MAGIC)) {
                return;
            }
            byte[] head = new byte[MAGIC.length];
            in.seek(0);
            in.readFully(head);
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, Arrays.equals(head, MAGIC)
                    ? name + " is not a whole Parquet file: it starts with Parquet's magic number (PAR1) but does not end"
                            + " with it (cut short?)"
                    : name + " is not a Parquet file: it does not start or end with Parquet's magic number (PAR1); if"
                            + " it holds CSV, name it .csv");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's name, for messages: the last segment of its key or path. */
    private static String nameOf(InputFile file) {
        String name = String.valueOf(file);
        return name.substring(name.lastIndexOf('/') + 1);
    }

    /** The input schema's type for a column, for pass-through columns kept as they are. */
    public static Type columnType(MessageType schema, String column) {
        return schema.getType(column);
    }

    /** Checks feature columns hold one value per row: a group or a repeated column cannot feed a float tensor. */
    public static void checkFeatureTypes(MessageType schema, List<String> featureColumns) {
        List<String> nested = new ArrayList<>();
        for (String column : featureColumns) {
            Type type = schema.getType(column);
            if (!type.isPrimitive()) {
                nested.add(column + " (group)");
            } else if (type.isRepetition(Type.Repetition.REPEATED)) {
                nested.add(column + " (repeated)");
            }
        }
        if (!nested.isEmpty()) {
            throw new PipelineException(FailureReason.SCHEMA_MISMATCH,
                    "feature column(s) that are not numbers: " + String.join(", ", nested));
        }
    }
}
