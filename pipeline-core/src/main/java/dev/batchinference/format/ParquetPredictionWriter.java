package dev.batchinference.format;

import dev.batchinference.inference.PredictionWriter;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/** Predictions as a Parquet file with the job's output schema. */
public final class ParquetPredictionWriter implements PredictionWriter {
    private final ParquetWriter<GenericRecord> writer;
    private final Schema schema;
    private final int fields;

    public ParquetPredictionWriter(OutputFile file, Schema schema, CompressionCodecName codec) throws IOException {
        this.schema = schema;
        this.fields = schema.getFields().size();
        this.writer = AvroParquetWriter.<GenericRecord>builder(file)
                .withConf(ParquetSupport.configuration())
                .withSchema(schema)
                .withDataModel(ParquetSupport.dataModel())
                .withCompressionCodec(codec)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        GenericData.Record row = new GenericData.Record(schema);
        for (int p = 0; p < passThrough.length; p++) {
            row.put(p, passThrough[p]);
        }
        row.put(passThrough.length, label);
        for (int f = passThrough.length + 1, c = 0; f < fields; f++, c++) {
            row.put(f, probabilities[offset + c]);
        }
        writer.write(row);
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
