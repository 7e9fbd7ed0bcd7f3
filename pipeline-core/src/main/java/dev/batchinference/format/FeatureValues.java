package dev.batchinference.format;

/** Turns a CSV cell into a model input value, or says why it cannot be one. */
public final class FeatureValues {
    private FeatureValues() {
    }

    /** The cell's value if it is a finite number; NaN otherwise (then {@link #problemWith} says why). */
    public static float parseFinite(String text) {
        String trimmed = text.trim();
        // Java also accepts type suffixes such as 1.5f or 2d, which no CSV writer means as numbers
        if (trimmed.isEmpty() || Character.isLetter(trimmed.charAt(trimmed.length() - 1))) {
            return Float.NaN;
        }
        try {
            float value = Float.parseFloat(trimmed);
            return Float.isInfinite(value) ? Float.NaN : value;
        } catch (NumberFormatException e) {
            return Float.NaN;
        }
    }

    /** Why a cell is not a finite number, describing the value's shape rather than its content. */
    public static String problemWith(String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return "empty value";
        }
        if (trimmed.equals("NaN") || trimmed.endsWith("Infinity")) {
            return "not a finite number (" + trimmed + ")";
        }
        try {
            if (Float.isInfinite(Float.parseFloat(trimmed))) {
                return "number out of float range";
            }
        } catch (NumberFormatException e) {
            // falls through to the general description
        }
        return "not a number (text of " + trimmed.length() + " character" + (trimmed.length() == 1 ? "" : "s") + ")";
    }
}
