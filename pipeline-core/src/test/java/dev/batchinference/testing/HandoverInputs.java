package dev.batchinference.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * An input made for planning in many steps: the iris sample's rows with a pass-through note that is often a quoted
 * field of several lines (with delimiters, doubled quotes, CR LF inside), blank lines, and a row the worker rejects,
 * so that chunk cuts and hand-overs fall next to and inside multi-line records.
 */
public final class HandoverInputs {
    private HandoverInputs() {
    }

    /** The CSV text: a byte-order mark, a header, the rows. */
    public static byte[] csv() {
        try {
            List<String> lines = Files.readAllLines(Samples.data("iris.csv"), StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder("\uFEFFid,note,sepal_length,sepal_width,petal_length,petal_width\n");
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).split(",");
                String note = switch (i % 4) {
                    case 0 -> "\"a note over\nthree lines, with a comma\nand \"\"quotes\"\"\"";
                    case 1 -> "\"two lines\r\nwith CR LF\"";
                    case 2 -> "plain";
                    default -> "";
                };
                String width = i == 77 ? "wide" : f[4]; // rejected by the worker: not a number
                out.append(f[0]).append(',').append(note).append(',').append(f[1]).append(',').append(f[2]).append(',')
                        .append(f[3]).append(',').append(width).append(i % 9 == 0 ? "\r\n" : "\n");
                if (i % 25 == 0) {
                    out.append('\n'); // a blank line: no record
                }
            }
            return out.toString().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CSV text gzip'd, in two gzip members (as {@code cat a.gz b.gz} makes), split inside a multi-line record. */
    public static byte[] csvGzip() {
        byte[] text = csv();
        int split = new String(text, StandardCharsets.UTF_8).indexOf("a note over") + 5;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (int[] range : new int[][] {{0, split}, {split, text.length}}) {
                try (GZIPOutputStream gzip = new GZIPOutputStream(NonClosing.of(out))) {
                    gzip.write(text, range[0], range[1] - range[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The data records in {@link #csv()}. */
    public static long rows() {
        return 150;
    }

    private static final class NonClosing extends java.io.FilterOutputStream {
        private NonClosing(ByteArrayOutputStream out) {
            super(out);
        }

        static NonClosing of(ByteArrayOutputStream out) {
            return new NonClosing(out);
        }

        @Override
        public void close() {
            // the members go one after another into the same stream
        }
    }
}
