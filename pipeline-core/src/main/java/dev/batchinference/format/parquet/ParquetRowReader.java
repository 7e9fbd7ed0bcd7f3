package dev.batchinference.format.parquet;

import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.RowReader;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Rows of a Parquet chunk: the row groups in its byte range, projected to the feature and pass-through
 * columns so the other columns are never fetched. No record is built per row: feature columns of plain
 * numbers are decoded a block of rows at a time ({@link ParquetNumberColumn}), other columns come from
 * parquet-column's {@link ColumnReader}s a value at a time. Byte-array columns passed through are decoded
 * in blocks too ({@link ParquetBinaryColumn}). Numbers of any width (and decimals) feed the
 * tensor; a null, or text that is not a number, rejects the row. Pass-through values keep their Parquet
 * type: ints, longs, floats, doubles and booleans as themselves, byte arrays as {@link ParquetBytes},
 * and nested or repeated columns as parquet-column's example {@link Group}s.
 */
public final class ParquetRowReader implements RowReader {
    private static final int BLOCK_ROWS = 1024;

    private final ParquetFileReader file;
    private final MessageType flat;
    /** the flat columns read a value at a time, and for each its flat column */
    private final MessageType perValue;
    private final int[] perValueColumns;
    /** per flat column: decoded in blocks (a feature of plain numbers that is not also passed through) */
    private final boolean[] inBlocks;
    /** per flat column: decoded in blocks of pass-through values (a byte-array column that is no feature) */
    private final boolean[] passedInBlocks;
    /** every feature is decoded in blocks: a row's features are then copied to the tensor in one go */
    private final boolean allFeaturesInBlocks;
    private final MessageType nested;
    private final String createdBy;
    private final List<String> featureNames;
    /** per flat column: how its values become a float, or null if it feeds no feature */
    private final ParquetFeatureValue[] asFeature;
    private final boolean[] passedThrough;
    /** per feature, per pass-through column: its flat column, or for pass-through -1 - its nested field */
    private final int[] featureColumns;
    private final int[] passThroughColumns;

    private ColumnReader[] readers = new ColumnReader[0];
    private ParquetNumberColumn[] blockColumns;
    private ParquetBinaryColumn[] passedColumns;
    private RecordReader<Group> nestedRows;
    private int rowGroup = -1;
    private long rowsNotInABlock;

    // the current block of rows, for the columns decoded in blocks, and the current row in it: the
    // features row by row, as the tensor holds them (a feature not in blocks leaves its place unused)
    private final float[] blockFeatures;
    private final boolean[][] blockNulls;
    private final Object[][] passedBlock;
    /** when every feature is in blocks: whether a row of the block has one that is not finite */
    private final boolean[] blockRowRejected;
    /** per flat column: the feature it feeds, or -1 */
    private final int[] featureOf;
    private int blockRows;
    private int row = -1;

    // the current row, for the columns read a value at a time
    private final float[] values;
    private final String[] problems;
    private final Object[] flatValues;
    private Group nestedRow;

    public ParquetRowReader(InputFile input, long start, long end, ColumnMapping mapping) throws IOException {
        this.file = ParquetSupport.open(input, ParquetSupport.readOptions(start, end));
        try {
            MessageType schema = file.getFooter().getFileMetaData().getSchema();
            this.createdBy = file.getFooter().getFileMetaData().getCreatedBy();
            this.featureNames = mapping.featureColumnNames();
            List<String> passThroughNames = mapping.passThroughColumnNames();
            List<Type> flatFields = new ArrayList<>();
            List<Type> nestedFields = new ArrayList<>();
            for (Type field : schema.getFields()) {
                boolean feature = featureNames.contains(field.getName());
                if (feature || passThroughNames.contains(field.getName())) {
                    boolean isFlat = field.isPrimitive() && !field.isRepetition(Type.Repetition.REPEATED);
                    if (feature && !isFlat) {
                        throw new IllegalStateException("feature column " + field.getName() + " is not a scalar");
                    }
                    (isFlat ? flatFields : nestedFields).add(field);
                }
            }
            this.flat = new MessageType(schema.getName(), flatFields);
            this.nested = new MessageType(schema.getName(), nestedFields);
            List<Type> projected = new ArrayList<>(flatFields);
            projected.addAll(nestedFields);
            file.setRequestedSchema(new MessageType(schema.getName(),
                    schema.getFields().stream().filter(projected::contains).toList()));

            this.asFeature = new ParquetFeatureValue[flatFields.size()];
            this.passedThrough = new boolean[flatFields.size()];
            this.featureColumns = new int[featureNames.size()];
            for (int f = 0; f < featureColumns.length; f++) {
                int column = flat.getFieldIndex(featureNames.get(f));
                featureColumns[f] = column;
                asFeature[column] = ParquetFeatureValue.of(flat.getType(column).asPrimitiveType());
            }
            this.passThroughColumns = new int[passThroughNames.size()];
            for (int p = 0; p < passThroughColumns.length; p++) {
                String name = passThroughNames.get(p);
                if (flat.containsField(name)) {
                    passThroughColumns[p] = flat.getFieldIndex(name);
                    passedThrough[passThroughColumns[p]] = true;
                } else {
                    passThroughColumns[p] = -1 - nested.getFieldIndex(name);
                }
            }
            this.inBlocks = new boolean[flatFields.size()];
            this.passedInBlocks = new boolean[flatFields.size()];
            this.blockNulls = new boolean[flatFields.size()][];
            this.passedBlock = new Object[flatFields.size()][];
            List<Type> perValueFields = new ArrayList<>();
            List<Integer> perValueIndices = new ArrayList<>();
            for (int c = 0; c < flatFields.size(); c++) {
                inBlocks[c] = asFeature[c] != null && !passedThrough[c]
                        && ParquetNumberColumn.handles(flatFields.get(c).asPrimitiveType());
                passedInBlocks[c] = asFeature[c] == null && passedThrough[c]
                        && ParquetBinaryColumn.handles(flatFields.get(c).asPrimitiveType());
                if (inBlocks[c]) {
                    blockNulls[c] = new boolean[BLOCK_ROWS];
                } else if (passedInBlocks[c]) {
                    passedBlock[c] = new Object[BLOCK_ROWS];
                } else {
                    perValueFields.add(flatFields.get(c));
                    perValueIndices.add(c);
                }
            }
            this.perValue = new MessageType(schema.getName(), perValueFields);
            this.perValueColumns = perValueIndices.stream().mapToInt(Integer::intValue).toArray();
            this.allFeaturesInBlocks = java.util.Arrays.stream(featureColumns).allMatch(c -> inBlocks[c]);
            this.blockFeatures = new float[BLOCK_ROWS * featureColumns.length];
            this.featureOf = new int[flatFields.size()];
            java.util.Arrays.fill(featureOf, -1);
            for (int f = 0; f < featureColumns.length; f++) {
                featureOf[featureColumns[f]] = f;
            }
            this.blockRowRejected = allFeaturesInBlocks ? new boolean[BLOCK_ROWS] : null;
            this.values = new float[flatFields.size()];
            this.problems = new String[flatFields.size()];
            this.flatValues = new Object[flatFields.size()];
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    @Override
    public boolean next() throws IOException {
        while (row + 1 == blockRows) {
            if (rowsNotInABlock == 0 && !nextRowGroup()) {
                return false;
            }
            nextBlock();
        }
        row++;
        for (int r = 0; r < readers.length; r++) {
            ColumnReader column = readers[r];
            int c = perValueColumns[r];
            boolean present = column.getCurrentDefinitionLevel() == column.getDescriptor().getMaxDefinitionLevel();
            ParquetFeatureValue feature = asFeature[c];
            if (feature != null) {
                if (present) {
                    float value = feature.read(column);
                    values[c] = value;
                    problems[c] = Float.isNaN(value) ? feature.problem(column) : null;
                } else {
                    problems[c] = "null value";
                }
            }
            if (passedThrough[c]) {
                flatValues[c] = present ? passThroughValue(column) : null;
            }
            column.consume();
        }
        if (nestedRows != null) {
            nestedRow = nestedRows.read();
        }
        return true;
    }

    private void nextBlock() {
        blockRows = (int) Math.min(BLOCK_ROWS, rowsNotInABlock);
        rowsNotInABlock -= blockRows;
        row = -1;
        boolean mayBeNonFinite = false;
        for (int c = 0; c < blockColumns.length; c++) {
            if (blockColumns[c] != null) {
                mayBeNonFinite |= blockColumns[c].read(blockFeatures, featureOf[c], featureColumns.length,
                        blockNulls[c], blockRows);
            } else if (passedColumns[c] != null) {
                passedColumns[c].read(passedBlock[c], blockRows);
            }
        }
        if (allFeaturesInBlocks && mayBeNonFinite) {
            markRejectedRows();
        } else if (allFeaturesInBlocks) {
            java.util.Arrays.fill(blockRowRejected, 0, blockRows, false);
        }
    }

    /** Marks the block's rows that have a feature that is not a finite float (a null is NaN). */
    private void markRejectedRows() {
        int features = featureColumns.length;
        for (int r = 0, at = 0; r < blockRows; r++) {
            boolean rejected = false;
            for (int end = at + features; at < end; at++) {
                rejected |= !Float.isFinite(blockFeatures[at]);
            }
            blockRowRejected[r] = rejected;
        }
    }

    private boolean nextRowGroup() throws IOException {
        PageReadStore pages = file.readNextRowGroup();
        if (pages == null) {
            return false;
        }
        rowGroup++;
        rowsNotInABlock = pages.getRowCount();
        Map<ColumnPath, ColumnChunkMetaData> chunks = new HashMap<>();
        for (ColumnChunkMetaData chunk : file.getRowGroups().get(rowGroup).getColumns()) {
            chunks.put(chunk.getPath(), chunk);
        }
        blockColumns = new ParquetNumberColumn[flat.getFieldCount()];
        passedColumns = new ParquetBinaryColumn[flat.getFieldCount()];
        for (int c = 0; c < blockColumns.length; c++) {
            ColumnDescriptor column = flat.getColumns().get(c);
            ColumnChunkMetaData chunk = chunks.get(ColumnPath.get(column.getPath()));
            if (inBlocks[c]) {
                blockColumns[c] = new ParquetNumberColumn(column, pages.getPageReader(column),
                        chunk == null ? null : chunk.getStatistics());
            } else if (passedInBlocks[c]) {
                passedColumns[c] = new ParquetBinaryColumn(column, pages.getPageReader(column),
                        chunk == null ? null : chunk.getStatistics());
            }
        }
        ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, new ValuesReadDirectly(perValue.getFieldCount()),
                perValue, createdBy);
        readers = perValue.getColumns().stream().map(store::getColumnReader).toArray(ColumnReader[]::new);
        if (nested.getFieldCount() > 0) {
            nestedRows = new ColumnIOFactory(createdBy).getColumnIO(nested)
                    .getRecordReader(pages, new GroupRecordConverter(nested));
        }
        return true;
    }

    @Override
    public Rejection readFeatures(FloatBuffer tensor, int offset) {
        if (allFeaturesInBlocks && !blockRowRejected[row]) {
            tensor.put(offset, blockFeatures, row * featureColumns.length, featureColumns.length);
            return null;
        }
        for (int f = 0; f < featureColumns.length; f++) {
            int column = featureColumns[f];
            if (inBlocks[column]) {
                float value = blockFeatures[row * featureColumns.length + f];
                if (!Float.isFinite(value)) {
                    return new Rejection(featureNames.get(f), blockNulls[column][row] ? "null value"
                            : "not a finite float (" + asFeature[column].kind() + ")");
                }
                tensor.put(offset + f, value);
            } else if (problems[column] != null) {
                return new Rejection(featureNames.get(f), problems[column]);
            } else {
                tensor.put(offset + f, values[column]);
            }
        }
        return null;
    }

    @Override
    public void readPassThrough(Object[] into) {
        for (int p = 0; p < passThroughColumns.length; p++) {
            int column = passThroughColumns[p];
            if (column >= 0) {
                into[p] = passedInBlocks[column] ? passedBlock[column][row] : flatValues[column];
            } else {
                int field = -1 - column;
                into[p] = nestedRow.getFieldRepetitionCount(field) == 0 ? null : new NestedValue(nestedRow, field);
            }
        }
    }

    private static Object passThroughValue(ColumnReader column) {
        PrimitiveType type = column.getDescriptor().getPrimitiveType();
        return switch (type.getPrimitiveTypeName()) {
            case INT32 -> column.getInteger();
            case INT64 -> column.getLong();
            case FLOAT -> column.getFloat();
            case DOUBLE -> column.getDouble();
            case BOOLEAN -> column.getBoolean();
            case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> new ParquetBytes(column.getBinary(),
                    type.getLogicalTypeAnnotation() instanceof DecimalLogicalTypeAnnotation d ? d.getScale() : -1);
        };
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    /** One value of a nested or repeated pass-through column: field {@code field} of the row's group. */
    public record NestedValue(Group row, int field) {
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < row.getFieldRepetitionCount(field); i++) {
                text.append(i == 0 ? "" : ",").append(row.getValueToString(field, i).trim());
            }
            return text.toString();
        }
    }

    /**
     * The converters {@link ColumnReadStoreImpl} asks for: never called, since values are taken from the
     * column readers themselves ({@code getFloat()}, {@code getBinary()}...), but their absence of
     * dictionary support is what makes the readers decode dictionary-encoded values.
     */
    private static final class ValuesReadDirectly extends GroupConverter {
        private final Converter[] columns;

        ValuesReadDirectly(int fields) {
            this.columns = new Converter[fields];
            java.util.Arrays.fill(columns, new PrimitiveConverter() {
            });
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return columns[fieldIndex];
        }

        @Override
        public void start() {
        }

        @Override
        public void end() {
        }
    }
}
