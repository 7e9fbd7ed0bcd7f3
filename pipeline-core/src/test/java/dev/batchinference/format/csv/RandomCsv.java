package dev.batchinference.format.csv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A seeded CSV of id, a, b, note with quoting, line breaks in quotes, CRLF and Unicode; and what each record holds. */
record RandomCsv(String header, String body, List<String> records) {
    static final List<String> COLUMNS = List.of("id", "a", "b", "note");
    private static final String[] NOTES = {"", "plain", "with, comma", "a \"quote\"", "two\nlines", "ünïcödé,é",
            "12345678901234567890", "x".repeat(300)};

    static RandomCsv generate(long seed, int rows) {
        SplittableRandom random = new SplittableRandom(seed);
        StringBuilder body = new StringBuilder();
        List<String> records = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            String id = "row-" + r + "x".repeat(random.nextInt(20));
            float a = (float) (random.nextDouble() * 2000 - 1000);
            String b = random.nextBoolean() ? Integer.toString(random.nextInt(100_000))
                    : random.nextInt(1000) + "." + random.nextInt(1000);
            String note = NOTES[random.nextInt(NOTES.length)];
            String field = note.matches("(?s).*[,\"\\n].*") || random.nextInt(5) == 0
                    ? '"' + note.replace("\"", "\"\"") + '"' : note;
            body.append(id).append(',').append(a).append(',').append(b).append(',').append(field)
                    .append(random.nextInt(4) == 0 ? "\r\n" : "\n");
            records.add(id + "|" + note + "|" + Float.parseFloat(b) + "|" + a);
        }
        return new RandomCsv(String.join(",", COLUMNS) + "\n", body.toString(), records);
    }

    byte[] bodyBytes() {
        return body.getBytes(StandardCharsets.UTF_8);
    }

    byte[] fileBytes() {
        return (header + body).getBytes(StandardCharsets.UTF_8);
    }
}
