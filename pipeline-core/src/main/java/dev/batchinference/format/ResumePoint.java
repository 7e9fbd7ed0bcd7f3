package dev.batchinference.format;

import java.util.List;

/**
 * Where a CSV planning pass resumes what an earlier pass began: the header it read (columns and delimiter, and
 * where the data starts), the offset of the record boundary it stopped at (in the uncompressed text for a gzip'd
 * input), the data records counted before it, and the chunks cut so far, whose numbering the pass continues.
 */
public record ResumePoint(List<String> columns, char delimiter, long dataStart, long offset, long records,
                          List<ChunkRange> chunks) {

    public ResumePoint {
        columns = List.copyOf(columns);
        chunks = List.copyOf(chunks);
        if (offset < dataStart || records < 0) {
            throw new IllegalArgumentException("a resume point past the header, with no negative count: offset "
                    + offset + ", data start " + dataStart + ", records " + records);
        }
    }
}
