package dev.batchinference.format;

import com.github.luben.zstd.Zstd;
import io.airlift.compress.lz4.Lz4Compressor;
import io.airlift.compress.lz4.Lz4Decompressor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Parquet's page codecs without Hadoop: parquet-hadoop's own {@code CodecFactory} goes through Hadoop's
 * {@code CompressionCodec} classes (and so needs hadoop-common at run time), while the compression
 * libraries it delegates to (snappy-java, zstd-jni, aircompressor, the JDK's gzip) are called here
 * directly. Reads and writes UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW; other codecs fail with a
 * message naming them.
 */
final class ParquetCodecs implements CompressionCodecFactory {
    static final ParquetCodecs INSTANCE = new ParquetCodecs();

    private ParquetCodecs() {
    }

    /** One codec's two directions, on whole pages held in byte arrays. */
    private interface Codec {
        byte[] compress(byte[] page) throws IOException;

        /** Decompresses into exactly {@code into.length} bytes. */
        void decompress(byte[] compressed, byte[] into) throws IOException;
    }

    private static Codec codec(CompressionCodecName name) {
        return switch (name) {
            case UNCOMPRESSED -> new Codec() {
                public byte[] compress(byte[] page) {
                    return page;
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    copyExactly(compressed, compressed.length, into);
                }
            };
            case SNAPPY -> new Codec() {
                public byte[] compress(byte[] page) throws IOException {
                    return Snappy.compress(page);
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    check(Snappy.uncompressedLength(compressed) == into.length, name);
                    Snappy.uncompress(compressed, 0, compressed.length, into, 0);
                }
            };
            case ZSTD -> new Codec() {
                public byte[] compress(byte[] page) {
                    return Zstd.compress(page, Zstd.defaultCompressionLevel());
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    long n = Zstd.decompress(into, compressed);
                    check(!Zstd.isError(n) && n == into.length, name);
                }
            };
            case GZIP -> new Codec() {
                public byte[] compress(byte[] page) throws IOException {
                    ByteArrayOutputStream out = new ByteArrayOutputStream(page.length / 2 + 64);
                    try (OutputStream gzip = new GZIPOutputStream(out, 64 * 1024)) {
                        gzip.write(page);
                    }
                    return out.toByteArray();
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(compressed), 64 * 1024)) {
                        check(in.readNBytes(into, 0, into.length) == into.length && in.read() < 0, name);
                    }
                }
            };
            case LZ4_RAW -> new Codec() {
                public byte[] compress(byte[] page) {
                    Lz4Compressor lz4 = new Lz4Compressor();
                    byte[] out = new byte[lz4.maxCompressedLength(page.length)];
                    int n = lz4.compress(page, 0, page.length, out, 0, out.length);
                    return Arrays.copyOf(out, n);
                }

                public void decompress(byte[] compressed, byte[] into) throws IOException {
                    int n = new Lz4Decompressor().decompress(compressed, 0, compressed.length, into, 0, into.length);
                    check(n == into.length, name);
                }
            };
            default -> throw new UnsupportedOperationException("Parquet pages compressed with " + name
                    + " are not supported: write the file with SNAPPY, ZSTD, GZIP, LZ4_RAW or no compression");
        };
    }

    private static void copyExactly(byte[] from, int length, byte[] into) throws IOException {
        check(length == into.length, CompressionCodecName.UNCOMPRESSED);
        System.arraycopy(from, 0, into, 0, length);
    }

    private static void check(boolean sizeMatches, CompressionCodecName name) throws IOException {
        if (!sizeMatches) {
            throw new IOException("a " + name + " page did not decompress to the size its header gives");
        }
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName name) {
        Codec codec = codec(name);
        return new BytesInputCompressor() {
            @Override
            public BytesInput compress(BytesInput bytes) throws IOException {
                return name == CompressionCodecName.UNCOMPRESSED ? bytes : BytesInput.from(codec.compress(bytes.toByteArray()));
            }

            @Override
            public CompressionCodecName getCodecName() {
                return name;
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName name) {
        Codec codec = codec(name);
        return new BytesInputDecompressor() {
            @Override
            public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
                if (name == CompressionCodecName.UNCOMPRESSED) {
                    return bytes;
                }
                byte[] page = new byte[uncompressedSize];
                codec.decompress(bytes.toByteArray(), page);
                return BytesInput.from(page);
            }

            @Override
            public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                    throws IOException {
                byte[] compressed = new byte[compressedSize];
                input.get(compressed);
                byte[] page = new byte[uncompressedSize];
                codec.decompress(compressed, page);
                output.put(page);
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public void release() {
    }
}
