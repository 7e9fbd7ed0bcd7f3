package dev.batchinference.local.bench;

import java.util.ArrayList;
import java.util.List;

/** One figure of the benchmark: what was measured, on how many rows, in which unit, each run's value. */
record Measurement(String name, long rows, String unit, List<Double> values, String target) {

    Measurement {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("a measurement needs at least one run: " + name);
        }
        values = List.copyOf(values);
    }

    Measurement(String name, long rows, String unit, List<Double> values) {
        this(name, rows, unit, values, "");
    }

    Measurement withTarget(String text) {
        return new Measurement(name, rows, unit, values, text);
    }

    double median() {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    double min() {
        return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    double max() {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    int runs() {
        return values.size();
    }
}
